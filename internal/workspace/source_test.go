package workspace

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCreateWorkspace(t *testing.T) {
	root := newRepo(t, map[string]string{
		".gitignore":     "*.log\nbuild/\n",
		"README.md":      "committed\n",
		"src/main.go":    "package main\n",
		"src/gone.go":    "deleted later\n",
		"scripts/run.sh": "#!/bin/sh\n",
		"link-to-readme": "->README.md",
		"dangling":       "->nowhere",
	})
	if err := os.Chmod(filepath.Join(root, "scripts/run.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	git(t, root, "commit", "-q", "-am", "exec")
	// Working-tree state: a modified file, a new file, an ignored one and
	// a deleted tracked one.
	writeFiles(t, root, map[string]string{
		"README.md":     "edited, not committed\n",
		"new/file.txt":  "untracked\n",
		"debug.log":     "ignored\n",
		"build/out.bin": "ignored too\n",
	})
	if err := os.Remove(filepath.Join(root, "src/gone.go")); err != nil {
		t.Fatal(err)
	}

	_, src := snapshot(t, root)
	ws := create(t, src, "build-job")
	if ws != filepath.Join(root, ".gantry", "builds", "build-job") {
		t.Errorf("workspace at %s", ws)
	}
	want := map[string]string{
		".gitignore":     "*.log\nbuild/\n",
		"README.md":      "edited, not committed\n",
		"src":            "/",
		"src/main.go":    "package main\n",
		"scripts":        "/",
		"scripts/run.sh": "#!/bin/sh\n",
		"link-to-readme": "->README.md",
		"dangling":       "->nowhere",
		"new":            "/",
		"new/file.txt":   "untracked\n",
	}
	if diff := cmp.Diff(want, tree(t, ws)); diff != "" {
		t.Errorf("workspace files (-want +got):\n%s", diff)
	}
	if fi, err := os.Stat(filepath.Join(ws, "scripts/run.sh")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("run.sh mode = %v, %v; want 0755", fi.Mode(), err)
	}

	// git works in the job, at the user's commit, detached, and sees the
	// uncommitted edits as changes.
	head := git(t, root, "rev-parse", "HEAD")
	if got := git(t, ws, "rev-parse", "HEAD"); got != head {
		t.Errorf("workspace HEAD = %s, want %s", got, head)
	}
	if got := git(t, ws, "status", "--porcelain", "--untracked-files=all"); got != "M README.md\n D src/gone.go\n?? new/file.txt" {
		t.Errorf("git status in workspace:\n%s", got)
	}
	if got := git(t, ws, "log", "--format=%s"); got != "exec\ninit" {
		t.Errorf("git log in workspace: %q", got)
	}
	// The user's repository is untouched: .gantry ignores itself.
	if got := git(t, root, "status", "--porcelain", "--untracked-files=all", "--ignored=no"); got != "M README.md\n D src/gone.go\n?? new/file.txt" {
		t.Errorf("git status in the user's repo:\n%s", got)
	}

	// A job's changes do not survive a new workspace for the same slug.
	writeFiles(t, ws, map[string]string{"junk": "x"})
	if err := os.Chmod(filepath.Join(ws, "src"), 0o500); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, tree(t, create(t, src, "build-job"))); diff != "" {
		t.Errorf("recreated workspace (-want +got):\n%s", diff)
	}
}

func TestCreateWorkspaceOutsideGit(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"a.txt": "a", "sub/b.txt": "b", ".git/config": "not a repo"})
	_, src := snapshot(t, root)
	ws := create(t, src, "j")
	if diff := cmp.Diff(map[string]string{"a.txt": "a", "sub": "/", "sub/b.txt": "b"}, tree(t, ws)); diff != "" {
		t.Errorf("workspace (-want +got):\n%s", diff)
	}
}

func TestOpenWritesGitignore(t *testing.T) {
	root := t.TempDir()
	if _, err := Open(root); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, ".gantry", ".gitignore"))
	if err != nil || string(b) != "*\n" {
		t.Errorf(".gitignore = %q, %v", b, err)
	}
}

func TestSlug(t *testing.T) {
	tests := []struct{ name, want string }{
		{"build", "build"},
		{"test: [linux, amd64]", "test-linux-amd64"},
		{"Deploy Prod!", "deploy-prod"},
		{"test 1/3", "test-1-3"},
		{"---", "job"},
		{"ünïcode", "n-code"},
		{fmt.Sprintf("%070d", 0), fmt.Sprintf("%063d", 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Slug(tt.name); got != tt.want {
				t.Errorf("Slug(%q) = %q, want %q", tt.name, got, tt.want)
			}
		})
	}
}

func TestUniqueSlugs(t *testing.T) {
	got := UniqueSlugs([]string{"a b", "a-b", "c"})
	if got["c"] != "c" || got["a b"] == got["a-b"] || len(got["a b"]) != len("a-b-")+8 {
		t.Errorf("UniqueSlugs = %v", got)
	}
}

func TestCreateRefreshesInPlace(t *testing.T) {
	root := newRepo(t, map[string]string{
		"keep.txt":     "unchanged\n",
		"edit.txt":     "v1\n",
		"dir/a.txt":    "a\n",
		"swap/b.txt":   "b\n",
		"gone-src.txt": "deleted by the user later\n",
	})
	_, src := snapshot(t, root)
	ws := create(t, src, "job")
	inode := func(rel string) uint64 {
		t.Helper()
		fi, err := os.Lstat(filepath.Join(ws, rel))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Sys().(*syscall.Stat_t).Ino
	}
	keepIno := inode("keep.txt")

	// What a job leaves behind: output, a file edited in place keeping
	// its size, a read-only tree, a directory swapped for a symlink to
	// outside, and a commit in its own .git.
	outside := t.TempDir()
	writeFiles(t, ws, map[string]string{"build/out.bin": "x", "node_modules/m/i.js": "y"})
	if err := os.WriteFile(filepath.Join(ws, "edit.txt"), []byte("v2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(ws, "node_modules/m"), 0o500); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(ws, "swap")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(ws, "swap")); err != nil {
		t.Fatal(err)
	}
	git(t, ws, "-c", "user.name=j", "-c", "user.email=j@x", "commit", "-q", "--allow-empty", "-m", "job's commit")
	git(t, ws, "tag", "job-tag")

	// Meanwhile the user edits the source and deletes a file.
	writeFiles(t, root, map[string]string{"dir/a.txt": "a, edited by the user\n"})
	if err := os.Remove(filepath.Join(root, "gone-src.txt")); err != nil {
		t.Fatal(err)
	}

	ws = create(t, src, "job")
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"keep.txt":   "unchanged\n",
		"edit.txt":   "v1\n",
		"dir":        "/",
		"dir/a.txt":  "a, edited by the user\n",
		"swap":       "/",
		"swap/b.txt": "b\n",
	}
	if diff := cmp.Diff(want, tree(t, ws)); diff != "" {
		t.Errorf("refreshed workspace (-want +got):\n%s", diff)
	}
	if entries, err := os.ReadDir(outside); err != nil || len(entries) != 0 {
		t.Errorf("the refresh wrote outside the workspace: %v, %v", entries, err)
	}
	if got := inode("keep.txt"); got != keepIno {
		t.Errorf("an unchanged file was copied again (inode %d, was %d)", got, keepIno)
	}
	head := git(t, root, "rev-parse", "HEAD")
	if got := git(t, ws, "rev-parse", "HEAD"); got != head {
		t.Errorf("workspace HEAD = %s, want the pipeline's %s", got, head)
	}
	if got := git(t, ws, "tag", "--list"); got != "" {
		t.Errorf("the job's tag survived: %q", got)
	}
	if got := git(t, ws, "status", "--porcelain"); got != "M dir/a.txt\n D gone-src.txt" {
		t.Errorf("git status in the refreshed workspace:\n%s", got)
	}
}

func TestWorkspaceGitRefs(t *testing.T) {
	root := newRepo(t, map[string]string{"a": "a"})
	git(t, root, "tag", "v1.0.0")
	git(t, root, "tag", "-a", "-m", "annotated", "v1.1.0")
	git(t, root, "branch", "feature")
	git(t, root, "pack-refs", "--all")
	git(t, root, "branch", "loose")
	writeFiles(t, root, map[string]string{"b": "b"})
	git(t, root, "add", "b")
	git(t, root, "commit", "-q", "-m", "second")

	_, src := snapshot(t, root)
	ws := create(t, src, "job")
	if got := git(t, ws, "for-each-ref", "--format=%(refname)"); got != "refs/remotes/origin/feature\nrefs/remotes/origin/loose\nrefs/remotes/origin/main\nrefs/tags/v1.0.0\nrefs/tags/v1.1.0" {
		t.Errorf("refs in the workspace:\n%s", got)
	}
	if got := git(t, ws, "describe", "--tags"); !strings.HasPrefix(got, "v1.1.0-1-g") {
		t.Errorf("git describe --tags = %q", got)
	}
	if got := git(t, ws, "log", "--format=%s", "origin/feature..HEAD"); got != "second" {
		t.Errorf("git log origin/feature..HEAD = %q", got)
	}
	// The index is cached by commit for the next pipeline.
	head := git(t, root, "rev-parse", "HEAD")
	if _, err := os.Stat(filepath.Join(root, DirName, "git", "index-"+head)); err != nil {
		t.Errorf("index not cached: %v", err)
	}
}

// TestWorkspaceGitSHA256: a SHA-256 repository's jobs get a SHA-256 .git
// with its branches and tags.
func TestWorkspaceGitSHA256(t *testing.T) {
	root := t.TempDir()
	git(t, root, "init", "-q", "-b", "main", "--object-format=sha256")
	writeFiles(t, root, map[string]string{"a": "a"})
	git(t, root, "add", "-A")
	git(t, root, "commit", "-q", "-m", "init")
	git(t, root, "tag", "v1")

	_, src := snapshot(t, root)
	ws := create(t, src, "job")
	head := git(t, root, "rev-parse", "HEAD")
	if got := git(t, ws, "rev-parse", "HEAD", "origin/main", "v1"); len(head) != 64 || got != head+"\n"+head+"\n"+head {
		t.Errorf("HEAD, origin/main, v1 in the workspace = %q, want %s", got, head)
	}
}

func TestNewSourceFilters(t *testing.T) {
	root := t.TempDir()
	d, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	src := d.NewSource(context.Background(), Repo{}, []string{"b", "a", "", "b", ".gantry/x", ".git/config", "nested/", "c/d"})
	if diff := cmp.Diff([]string{"a", "b", "c/d"}, src.Files()); diff != "" {
		t.Errorf("Files (-want +got):\n%s", diff)
	}
}
