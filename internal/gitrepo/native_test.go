package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// commitAll makes a commit of everything in dir with message msg.
func commitAll(t *testing.T, dir, msg string) string {
	t.Helper()
	run(t, dir, "add", "-A")
	run(t, dir, "commit", "-q", "--allow-empty", "--no-gpg-sign", "-m", msg)
	return run(t, dir, "rev-parse", "HEAD")
}

// withOrigin adds an origin whose HEAD is its main branch, as a clone has.
func withOrigin(t *testing.T, dir string) {
	t.Helper()
	run(t, dir, "remote", "add", "origin", "https://gitlab.example.com:8443/group/sub/project.git")
	run(t, dir, "update-ref", "refs/remotes/origin/main", "HEAD")
	run(t, dir, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
}

// longHistory makes commits with long, similar messages, so that
// gc --aggressive stores most of them as deltas of each other.
func longHistory(t *testing.T, dir string, n int) {
	t.Helper()
	var body strings.Builder
	for i := range 150 {
		fmt.Fprintf(&body, "line %d of a long commit message that every commit shares\n", i)
	}
	for i := range n {
		write(t, dir, "n.txt", fmt.Sprint(i))
		commitAll(t, dir, fmt.Sprintf("commit %d\n\n%s", i, body.String()))
	}
}

// deltified returns the commits verify-pack reports as stored as deltas.
func deltified(t *testing.T, dir string) []string {
	t.Helper()
	idx, err := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "*.idx"))
	if err != nil || len(idx) == 0 {
		t.Fatalf("no pack: %v", err)
	}
	var shas []string
	for _, line := range strings.Split(run(t, dir, "verify-pack", "-v", idx[0]), "\n") {
		// sha type size size-in-pack offset [depth base]
		if f := strings.Fields(line); len(f) == 7 && f[1] == "commit" {
			shas = append(shas, f[0])
		}
	}
	if len(shas) == 0 {
		t.Fatal("gc --aggressive stored no commit as a delta")
	}
	return shas
}

// readCase is a repository for comparing Read with readGit.
type readCase struct {
	name   string
	setup  func(t *testing.T) string // returns the directory to read
	native bool                      // the direct reader answers
}

// readCases are the layouts a working copy can have, those the direct
// reader follows and those it leaves to git.
var readCases = []readCase{
	{"loose refs, origin, from a subdirectory", func(t *testing.T) string {
		dir := newRepo(t)
		withOrigin(t, dir)
		return filepath.Join(dir, "src")
	}, true},
	{"no remote", func(t *testing.T) string {
		return newRepo(t)
	}, true},
	{"packed refs and objects after gc", func(t *testing.T) string {
		dir := newRepo(t)
		withOrigin(t, dir)
		run(t, dir, "checkout", "-q", "-b", "feature")
		commitAll(t, dir, "on feature")
		run(t, dir, "gc", "-q")
		return dir
	}, true},
	{"a loose branch over its packed copy", func(t *testing.T) string {
		dir := newRepo(t)
		run(t, dir, "pack-refs", "--all")
		commitAll(t, dir, "after packing")
		return dir
	}, true},
	{"deltified commits after gc --aggressive", func(t *testing.T) string {
		dir := newRepo(t)
		longHistory(t, dir, 6)
		run(t, dir, "gc", "-q", "--aggressive")
		run(t, dir, "checkout", "-q", "--detach", deltified(t, dir)[0])
		return dir
	}, true},
	{"detached HEAD", func(t *testing.T) string {
		dir := newRepo(t)
		first := run(t, dir, "rev-parse", "HEAD")
		commitAll(t, dir, "second")
		run(t, dir, "checkout", "-q", "--detach", first)
		return dir
	}, true},
	{"lightweight tag checked out", func(t *testing.T) string {
		dir := newRepo(t)
		run(t, dir, "tag", "v1.0.0")
		run(t, dir, "checkout", "-q", "v1.0.0")
		return dir
	}, true},
	{"annotated tag checked out", func(t *testing.T) string {
		dir := newRepo(t)
		run(t, dir, "tag", "-a", "-m", "release", "v2.0.0")
		run(t, dir, "tag", "-a", "-m", "elsewhere", "other", "HEAD^{tree}")
		commitAll(t, dir, "later")
		run(t, dir, "tag", "-a", "-m", "later", "v3")
		run(t, dir, "checkout", "-q", "v2.0.0")
		return dir
	}, true},
	{"annotated tag, packed", func(t *testing.T) string {
		dir := newRepo(t)
		run(t, dir, "tag", "-a", "-m", "release", "v2.0.0")
		commitAll(t, dir, "later")
		run(t, dir, "tag", "v3")
		run(t, dir, "gc", "-q")
		run(t, dir, "checkout", "-q", "v2.0.0")
		return dir
	}, true},
	{"several tags: git sorts them", func(t *testing.T) string {
		dir := newRepo(t)
		run(t, dir, "tag", "v1.2.0")
		run(t, dir, "tag", "-a", "-m", "release", "v1.10.0")
		run(t, dir, "checkout", "-q", "--detach", "HEAD")
		return dir
	}, true},
	{"a tag of a tag", func(t *testing.T) string {
		dir := newRepo(t)
		run(t, dir, "tag", "-a", "-m", "inner", "inner")
		run(t, dir, "tag", "-a", "-m", "outer", "outer", "inner")
		run(t, dir, "checkout", "-q", "--detach", "HEAD")
		return dir
	}, false},
	{"linked worktree", func(t *testing.T) string {
		dir := newRepo(t)
		withOrigin(t, dir)
		wt := filepath.Join(t.TempDir(), "wt")
		run(t, dir, "worktree", "add", "-q", "-b", "wt-branch", wt)
		commitAll(t, wt, "in the worktree")
		return wt
	}, true},
	{"linked worktree after gc", func(t *testing.T) string {
		dir := newRepo(t)
		wt := filepath.Join(t.TempDir(), "wt")
		run(t, dir, "worktree", "add", "-q", "--detach", wt)
		run(t, dir, "tag", "wt-tag")
		run(t, dir, "gc", "-q")
		return wt
	}, true},
	{"a symlink to the working copy", func(t *testing.T) string {
		dir := newRepo(t)
		link := filepath.Join(t.TempDir(), "link")
		if err := os.Symlink(dir, link); err != nil {
			t.Fatal(err)
		}
		return filepath.Join(link, "src")
	}, true},
	{"no commit yet", func(t *testing.T) string {
		isolateGit(t)
		dir := t.TempDir()
		run(t, dir, "init", "-q", "-b", "main")
		return dir
	}, true},
	{"not a repository", func(t *testing.T) string {
		isolateGit(t)
		return t.TempDir()
	}, false},
	{"origin HEAD to a missing branch", func(t *testing.T) string {
		dir := newRepo(t)
		run(t, dir, "remote", "add", "origin", "git@gitlab.com:g/p.git")
		run(t, dir, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/trunk")
		return dir
	}, true},
	{"origin's main names a missing object: git decides", func(t *testing.T) string {
		dir := newRepo(t)
		write(t, dir, ".git/refs/remotes/origin/main", strings.Repeat("ab", 20)+"\n")
		return dir
	}, false},
	{"main and master, on master", func(t *testing.T) string {
		dir := newRepo(t)
		run(t, dir, "branch", "main")
		return dir
	}, true},
	{"origin in the global config only", func(t *testing.T) string {
		dir := newRepo(t)
		global := filepath.Join(t.TempDir(), "gitconfig")
		write(t, filepath.Dir(global), "gitconfig", "[remote \"origin\"]\n\turl = ssh://git@host.example:2222/a/b.git\n")
		t.Setenv("GIT_CONFIG_GLOBAL", global)
		return dir
	}, true},
	{"origin in the legacy form, quoted, with a comment", func(t *testing.T) string {
		dir := newRepo(t)
		f, err := os.OpenFile(filepath.Join(dir, ".git", "config"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		fmt.Fprint(f, "[REMOTE.Origin]\n  URL = \"git@old.example:x/y.git\" ; first\n[remote \"origin\"]\n\turl = \"git@gitlab.com:\\\"odd\\\"/p.git\" # last wins\n")
		return dir
	}, true},
	{"an include in the config: git reads origin", func(t *testing.T) string {
		dir := newRepo(t)
		write(t, dir, "extra.cfg", "[remote \"origin\"]\n\turl = git@inc.example:i/j.git\n")
		run(t, dir, "config", "include.path", filepath.Join(dir, "extra.cfg"))
		return dir
	}, true},
	{"replace refs", func(t *testing.T) string {
		dir := newRepo(t)
		first := run(t, dir, "rev-parse", "HEAD")
		commitAll(t, dir, "second")
		run(t, dir, "replace", "HEAD", first)
		return dir
	}, false},
	{"SHA-256 repository", func(t *testing.T) string {
		isolateGit(t)
		dir := t.TempDir()
		run(t, dir, "init", "-q", "-b", "main", "--object-format=sha256")
		commitAll(t, dir, "sha256")
		return dir
	}, false},
	{"reftable (an extension this reader leaves to git)", func(t *testing.T) string {
		dir := newRepo(t)
		run(t, dir, "config", "core.repositoryformatversion", "1")
		run(t, dir, "config", "extensions.refStorage", "reftable")
		return dir
	}, false},
	{"submodule: core.worktree", func(t *testing.T) string {
		sub := newRepo(t)
		dir := newRepo(t)
		run(t, dir, "-c", "protocol.file.allow=always", "submodule", "add", "-q", sub, "sub")
		return filepath.Join(dir, "sub")
	}, false},
	{"run through sudo: git checks the owner against SUDO_UID", func(t *testing.T) string {
		dir := newRepo(t)
		t.Setenv("SUDO_UID", fmt.Sprint(os.Geteuid()))
		return dir
	}, os.Geteuid() != 0},
	{"GIT_DIR set", func(t *testing.T) string {
		dir := newRepo(t)
		t.Setenv("GIT_DIR", filepath.Join(dir, ".git"))
		return dir
	}, false},
}

// TestReadNativeMatchesGit reads each repository both ways: the direct
// reader must give exactly what the git commands give, or decline
// (native false) so that Read asks git.
func TestReadNativeMatchesGit(t *testing.T) {
	ctx := context.Background()
	for _, tt := range readCases {
		t.Run(tt.name, func(t *testing.T) {
			dir := tt.setup(t)
			want, wantErr := readGit(ctx, dir)
			got, gotErr := Read(ctx, dir)
			if fmt.Sprint(wantErr) != fmt.Sprint(gotErr) {
				t.Fatalf("Read error = %v, git's = %v", gotErr, wantErr)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Read differs from git (-git +Read):\n%s", diff)
			}
			top, err := TopLevel(ctx, dir)
			gitTop, gitErr := topLevelGit(ctx, dir)
			if top != gitTop || fmt.Sprint(err) != fmt.Sprint(gitErr) {
				t.Errorf("TopLevel = %q, %v; rev-parse --show-toplevel %q, %v", top, err, gitTop, gitErr)
			}
			_, nerr := readNative(ctx, Open(dir))
			if native := !errors.Is(nerr, errUnsupported); native != tt.native {
				t.Errorf("direct reader answered = %v (err %v), want %v", native, nerr, tt.native)
			}
		})
	}
}

// TestReadObjectDeltas reads every commit of a history stored as deltas
// and compares it with git's.
func TestReadObjectDeltas(t *testing.T) {
	dir := newRepo(t)
	longHistory(t, dir, 8)
	run(t, dir, "gc", "-q", "--aggressive")
	objects, err := newObjectStore(filepath.Join(dir, ".git"))
	if err != nil {
		t.Fatal(err)
	}
	for _, sha := range deltified(t, dir) {
		typ, data, err := objects.readObject(sha)
		if err != nil {
			t.Fatalf("%s: %v", sha, err)
		}
		want := run(t, dir, "cat-file", "commit", sha)
		if typ != "commit" || strings.TrimSpace(string(data)) != want {
			t.Errorf("%s: got %s %q, want commit %q", sha, typ, data, want)
		}
	}
	if ok, err := objects.hasObject(strings.Repeat("ab", 20)); ok || err != nil {
		t.Errorf("hasObject(missing) = %v, %v", ok, err)
	}
}
