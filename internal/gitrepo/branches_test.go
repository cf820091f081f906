package gitrepo

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// forEachRef is what git lists of the branches and tags, name -> object.
func forEachRef(t *testing.T, dir string) map[string]string {
	t.Helper()
	refs := map[string]string{}
	for _, line := range strings.Split(run(t, dir, "for-each-ref", "--format=%(objectname) %(refname)", "refs/heads", "refs/tags"), "\n") {
		obj, name, _ := strings.Cut(line, " ")
		refs[name] = obj
	}
	return refs
}

// TestBranchesAndTags reads packed and loose refs directly, loose ones
// winning as for git, and skips the refs git ignores or only a copy of
// the repository could be harmed by.
func TestBranchesAndTags(t *testing.T) {
	ctx := context.Background()
	dir := newRepo(t)
	run(t, dir, "tag", "v1")
	run(t, dir, "tag", "-a", "-m", "annotated", "v2")
	run(t, dir, "branch", "feature")
	run(t, dir, "pack-refs", "--all")
	run(t, dir, "branch", "loose")
	run(t, dir, "tag", "rc/v3")
	commitAll(t, dir, "second") // master loose, over its packed line
	want := forEachRef(t, dir)
	if len(want) != 6 {
		t.Fatalf("setup: for-each-ref lists %v", want)
	}
	// Refs a job's copy goes without: half-written, garbage, a name git
	// refuses, a symbolic ref, a lock file.
	head := run(t, dir, "rev-parse", "HEAD")
	write(t, dir, ".git/refs/heads/empty", "")
	write(t, dir, ".git/refs/tags/junk", "zz\n")
	write(t, dir, ".git/refs/heads/a:b", head+"\n")
	write(t, dir, ".git/refs/heads/alias", "ref: refs/heads/master\n")
	write(t, dir, ".git/refs/heads/d/x.lock", head+"\n")

	repo := Open(dir)
	got, err := repo.BranchesAndTags(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("BranchesAndTags (-want +got):\n%s", diff)
	}
	if _, err := branchesAndTagsNative(repo.l); err != nil {
		t.Errorf("the direct reader declined: %v", err)
	}
	common, err := repo.CommonDir(ctx)
	if want := filepath.Join(realPath(t, dir), ".git"); common != want || err != nil {
		t.Errorf("CommonDir = %q, %v; want %q", common, err, want)
	}
}

// TestBranchesAndTagsElsewhere: a linked worktree's refs and objects are
// its main repository's; a repository the direct reader declines (SHA-256,
// an extension) is listed by git, SHA-256 object names and all.
func TestBranchesAndTagsElsewhere(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		setup func(t *testing.T) (dir, common string)
	}{
		{"linked worktree", func(t *testing.T) (string, string) {
			dir := newRepo(t)
			wt := filepath.Join(t.TempDir(), "wt")
			run(t, dir, "worktree", "add", "-q", "-b", "wt-branch", wt)
			run(t, dir, "tag", "wt-tag")
			return wt, filepath.Join(realPath(t, dir), ".git")
		}},
		{"SHA-256", func(t *testing.T) (string, string) {
			isolateGit(t)
			dir := t.TempDir()
			run(t, dir, "init", "-q", "-b", "main", "--object-format=sha256")
			commitAll(t, dir, "sha256")
			run(t, dir, "tag", "v1")
			return dir, filepath.Join(realPath(t, dir), ".git")
		}},
		{"per-worktree config", func(t *testing.T) (string, string) {
			dir := newRepo(t)
			run(t, dir, "config", "core.repositoryformatversion", "1")
			run(t, dir, "config", "extensions.worktreeConfig", "true")
			run(t, dir, "tag", "v1")
			return dir, filepath.Join(realPath(t, dir), ".git")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, wantCommon := tt.setup(t)
			repo := Open(dir)
			got, err := repo.BranchesAndTags(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(forEachRef(t, dir), got); diff != "" {
				t.Errorf("BranchesAndTags (-git +got):\n%s", diff)
			}
			if common, err := repo.CommonDir(ctx); common != wantCommon || err != nil {
				t.Errorf("CommonDir = %q, %v; want %q", common, err, wantCommon)
			}
		})
	}
	t.Run("SHA-256 object names", func(t *testing.T) {
		dir, _ := tests[1].setup(t)
		got, err := Open(dir).BranchesAndTags(ctx)
		if err != nil || len(got["refs/heads/main"]) != 64 || got["refs/tags/v1"] != got["refs/heads/main"] {
			t.Errorf("BranchesAndTags = %v, %v; want main and v1 at a SHA-256 name", got, err)
		}
	})
}

// realPath is path with symlinks resolved, as git reports directories.
func realPath(t *testing.T, path string) string {
	t.Helper()
	p, err := filepath.EvalSymlinks(path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCommonDirAskGit: with GIT_DIR set only git knows the repository.
func TestCommonDirAskGit(t *testing.T) {
	dir := newRepo(t)
	t.Setenv("GIT_DIR", filepath.Join(dir, ".git"))
	common, err := Open(dir).CommonDir(context.Background())
	if want := filepath.Join(dir, ".git"); err != nil || (common != want && common != realPath(t, want)) {
		t.Errorf("CommonDir = %q, %v; want %q", common, err, want)
	}
	if _, err := os.Stat(common); err != nil {
		t.Error(err)
	}
}
