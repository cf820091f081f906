package gitrepo

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// isolateGit keeps the user's and the system's git configuration out of
// the tests.
func isolateGit(t *testing.T) {
	t.Helper()
	t.Setenv("GIT_CONFIG_GLOBAL", os.DevNull)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("GIT_AUTHOR_NAME", "Testersen")
	t.Setenv("GIT_AUTHOR_EMAIL", "test@test.com")
	t.Setenv("GIT_COMMITTER_NAME", "Committer")
	t.Setenv("GIT_COMMITTER_EMAIL", "c@test.com")
	t.Setenv("GIT_AUTHOR_DATE", "2020-01-05T00:00:00Z")
	t.Setenv("GIT_COMMITTER_DATE", "2020-01-05T01:02:03+0100")
}

// run runs a git command in dir and returns its trimmed output.
func run(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// write creates the file rel under dir with content.
func write(t *testing.T, dir, rel, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// newRepo makes a repository with one commit on master, laid out as the
// conformance harness does it.
func newRepo(t *testing.T) string {
	t.Helper()
	isolateGit(t)
	dir := t.TempDir()
	run(t, dir, "init", "-q", "-b", "master")
	write(t, dir, "README.md", "hello\n")
	write(t, dir, "src/app.py", "print(1)\n")
	run(t, dir, "add", "-A")
	run(t, dir, "commit", "-q", "--no-gpg-sign", "-m", "Commit Title\n\nMore commit text")
	return dir
}

func TestReadBranch(t *testing.T) {
	dir := newRepo(t)
	run(t, dir, "remote", "add", "origin", "git@gitlab.com:gcl/test-project.git")
	run(t, dir, "update-ref", "refs/remotes/origin/main", "HEAD")
	run(t, dir, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
	sha := run(t, dir, "rev-parse", "HEAD")

	// From a subdirectory, as a user would run gantry.
	info, err := Read(context.Background(), filepath.Join(dir, "src"))
	if err != nil {
		t.Fatal(err)
	}
	realDir, _ := filepath.EvalSymlinks(dir)
	gotDir, _ := filepath.EvalSymlinks(info.Dir)
	if gotDir != realDir {
		t.Errorf("Dir = %q, want %q", info.Dir, dir)
	}
	info.Dir = ""
	want := Info{
		SHA:         sha,
		ShortSHA:    sha[:8],
		Branch:      "master",
		Message:     "Commit Title\n\nMore commit text\n",
		Title:       "Commit Title",
		Description: "\nMore commit text",
		Author:      "Testersen <test@test.com>",
		Timestamp:   time.Date(2020, 1, 5, 0, 2, 3, 0, time.UTC),
		Remote: Remote{
			URL: "git@gitlab.com:gcl/test-project.git", Host: "gitlab.com", WebScheme: "https",
			Path: "gcl/test-project", Namespace: "gcl", Name: "test-project",
		},
		DefaultBranch: "main",
	}
	if diff := cmp.Diff(want, info); diff != "" {
		t.Errorf("Read (-want +got):\n%s", diff)
	}
	if got := info.Before(); got != ZeroSHA {
		t.Errorf("Before of a root commit = %q, want zeros", got)
	}
	if got := info.RefName(); got != "master" {
		t.Errorf("RefName = %q", got)
	}
}

func TestReadDetachedTag(t *testing.T) {
	dir := newRepo(t)
	first := run(t, dir, "rev-parse", "HEAD")
	write(t, dir, "b.txt", "b\n")
	run(t, dir, "add", "b.txt")
	run(t, dir, "commit", "-q", "--no-gpg-sign", "-m", "second")
	run(t, dir, "tag", "v1.2.0")
	run(t, dir, "tag", "-a", "-m", "release", "v1.10.0")
	run(t, dir, "checkout", "-q", "--detach", "HEAD")

	info, err := Read(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if !info.Detached || info.Branch != "" || info.Tag != "v1.10.0" || info.RefName() != "v1.10.0" {
		t.Errorf("got Detached=%v Branch=%q Tag=%q, want detached at tag v1.10.0", info.Detached, info.Branch, info.Tag)
	}
	if info.Parent != first || info.Before() != first {
		t.Errorf("Parent = %q, want %q", info.Parent, first)
	}
	// No origin: master is the default branch because it exists.
	if info.DefaultBranch != "master" || info.Remote != (Remote{}) {
		t.Errorf("DefaultBranch = %q, Remote = %+v", info.DefaultBranch, info.Remote)
	}

	run(t, dir, "checkout", "-q", "--detach", first)
	info, err = Read(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if info.Tag != "" || info.RefName() != "HEAD" {
		t.Errorf("untagged detached HEAD: Tag=%q RefName=%q", info.Tag, info.RefName())
	}
}

func TestReadErrors(t *testing.T) {
	isolateGit(t)
	t.Run("not a repository", func(t *testing.T) {
		_, err := Read(context.Background(), t.TempDir())
		if !errors.Is(err, ErrNotRepo) {
			t.Errorf("err = %v, want ErrNotRepo", err)
		}
	})
	t.Run("no commit", func(t *testing.T) {
		dir := t.TempDir()
		run(t, dir, "init", "-q", "-b", "main")
		_, err := Read(context.Background(), dir)
		if !errors.Is(err, ErrNoCommit) {
			t.Errorf("err = %v, want ErrNoCommit", err)
		}
	})
}

func TestChangedAndFiles(t *testing.T) {
	dir := newRepo(t)
	base := run(t, dir, "rev-parse", "HEAD")
	run(t, dir, "checkout", "-q", "-b", "feature")
	write(t, dir, "src/app.py", "print(2)\n")
	if err := os.Mkdir(filepath.Join(dir, "docs"), 0o755); err != nil {
		t.Fatal(err)
	}
	run(t, dir, "mv", "README.md", "docs/README.md")
	write(t, dir, ".gitignore", "*.log\n")
	run(t, dir, "add", "-A")
	run(t, dir, "commit", "-q", "--no-gpg-sign", "-m", "change")
	run(t, dir, "checkout", "-q", "master")
	write(t, dir, "other.txt", "x\n")
	run(t, dir, "add", "-A")
	run(t, dir, "commit", "-q", "--no-gpg-sign", "-m", "on master")
	run(t, dir, "checkout", "-q", "feature")

	ctx := context.Background()
	t.Run("two commits", func(t *testing.T) {
		got, err := Changed(ctx, dir, base, "HEAD", false)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{".gitignore", "README.md", "docs/README.md", "src/app.py"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("merge base", func(t *testing.T) {
		direct, err := Changed(ctx, dir, "master", "HEAD", false)
		if err != nil {
			t.Fatal(err)
		}
		if !contains(direct, "other.txt") {
			t.Errorf("direct diff %v should see master's other.txt", direct)
		}
		got, err := Changed(ctx, dir, "master", "HEAD", true)
		if err != nil {
			t.Fatal(err)
		}
		if contains(got, "other.txt") {
			t.Errorf("merge-base diff %v must not see master's own change", got)
		}
	})
	t.Run("nothing changed", func(t *testing.T) {
		got, err := Changed(ctx, dir, "HEAD", "HEAD", false)
		if err != nil {
			t.Fatal(err)
		}
		if got == nil || len(got) != 0 {
			t.Errorf("got %#v, want empty non-nil", got)
		}
	})
	t.Run("bad ref", func(t *testing.T) {
		if _, err := Changed(ctx, dir, "nope", "HEAD", false); err == nil {
			t.Error("want an error for an unknown ref")
		}
	})
	t.Run("working tree", func(t *testing.T) {
		write(t, dir, "src/app.py", "print(3)\n")
		write(t, dir, "new dir/new file.txt", "n\n")
		write(t, dir, "debug.log", "ignored\n")
		write(t, dir, "staged.txt", "s\n")
		run(t, dir, "add", "staged.txt")
		_, got, err := Worktree(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"new dir/new file.txt", "src/app.py", "staged.txt"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		files, err := Files(ctx, filepath.Join(dir, "src"))
		if err != nil {
			t.Fatal(err)
		}
		want = []string{".gitignore", "docs/README.md", "new dir/new file.txt", "src/app.py", "staged.txt"}
		if diff := cmp.Diff(want, files); diff != "" {
			t.Errorf("Files (-want +got):\n%s", diff)
		}
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestSplitMessage(t *testing.T) {
	long := strings.Repeat("x", 100)
	tests := []struct {
		name, msg, title, desc string
	}{
		{"title only", "Fix it\n", "Fix it", ""},
		{"no newline", "Fix it", "Fix it", ""},
		{"body", "Title\n\nBody line\n", "Title", "\nBody line"},
		{"long title keeps whole message", long + "\nbody\n", long, long + "\nbody"},
		{"crlf", "Title\r\nBody", "Title", "Body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			title, desc := SplitMessage(tt.msg)
			if title != tt.title || desc != tt.desc {
				t.Errorf("SplitMessage(%q) = %q, %q; want %q, %q", tt.msg, title, desc, tt.title, tt.desc)
			}
		})
	}
}

func TestDefaultBranch(t *testing.T) {
	tests := []struct {
		name, refs, current, want string
	}{
		{"origin HEAD wins", "refs/heads/master\x00\nrefs/remotes/origin/HEAD\x00refs/remotes/origin/trunk\n", "x", "trunk"},
		{"main before master", "refs/heads/master\x00\nrefs/remotes/origin/main\x00\n", "x", "main"},
		{"master", "refs/heads/master\x00\n", "x", "master"},
		{"current branch", "", "develop", "develop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := defaultBranch(parseSymrefs(tt.refs), tt.current); got != tt.want {
				t.Errorf("defaultBranch = %q, want %q", got, tt.want)
			}
		})
	}
}
