package workspace

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
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

	d, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	src, err := d.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	ws, err := src.Create(ctx, "build-job")
	if err != nil {
		t.Fatal(err)
	}
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
	ws2, err := src.Create(ctx, "build-job")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, tree(t, ws2)); diff != "" {
		t.Errorf("recreated workspace (-want +got):\n%s", diff)
	}
}

func TestCreateWorkspaceOutsideGit(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"a.txt": "a", "sub/b.txt": "b", ".git/config": "not a repo"})
	d, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	src, err := d.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ws, err := src.Create(context.Background(), "j")
	if err != nil {
		t.Fatal(err)
	}
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
