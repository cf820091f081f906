package gitrepo

import (
	"context"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestWorktreeMatchesGit compares Worktree (the index read directly, one
// git status) with git ls-files (Files) and git status alone
// on indexes of every kind git writes.
func TestWorktreeMatchesGit(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(t *testing.T, dir string)
		native bool // indexPaths reads the index itself
	}{
		{"clean", func(t *testing.T, dir string) {}, true},
		{"changes, untracked and ignored files", func(t *testing.T, dir string) {
			write(t, dir, ".gitignore", "*.log\n!keep.log\n")
			write(t, dir, "x.log", "ignored")
			write(t, dir, "keep.log", "kept")
			write(t, dir, "new dir/new file.txt", "n")
			write(t, dir, "src/app.py", "changed")
			write(t, dir, "staged.txt", "s")
			run(t, dir, "add", "staged.txt")
			if err := os.Remove(filepath.Join(dir, "README.md")); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"a nested repository, excludes, a symlink and odd names", func(t *testing.T, dir string) {
			nested := filepath.Join(dir, "nested")
			run(t, dir, "init", "-q", nested)
			write(t, nested, "n.txt", "n")
			write(t, dir, ".git/info/exclude", "secret*\n")
			write(t, dir, "secret.txt", "s")
			write(t, dir, "d2/sub/z", "z")
			write(t, dir, ".gitignore", "d2/\n/root-only\n")
			write(t, dir, "root-only", "r")
			write(t, dir, "q/root-only", "q")
			write(t, dir, "sp ace\nnew line", "x")
			if err := os.Symlink("nowhere", filepath.Join(dir, "link")); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"intent to add (index version 3)", func(t *testing.T, dir string) {
			write(t, dir, "later.txt", "l")
			run(t, dir, "add", "-N", "later.txt")
		}, true},
		{"index version 4", func(t *testing.T, dir string) {
			write(t, dir, "src/app2.py", "2")
			write(t, dir, "src/sub/app3.py", "3")
			run(t, dir, "add", "-A")
			run(t, dir, "update-index", "--index-version", "4")
		}, true},
		{"skip-worktree", func(t *testing.T, dir string) {
			run(t, dir, "update-index", "--skip-worktree", "README.md")
		}, true},
		{"a path longer than 4095 bytes", func(t *testing.T, dir string) {
			blob := run(t, dir, "hash-object", "-w", "README.md")
			long := strings.Repeat("d/", 2100) + "f"
			run(t, dir, "update-index", "--add", "--cacheinfo", "100644,"+blob+","+long)
		}, true},
		{"a merge conflict", func(t *testing.T, dir string) {
			run(t, dir, "checkout", "-q", "-b", "other")
			write(t, dir, "src/app.py", "other")
			commitAll(t, dir, "other")
			run(t, dir, "checkout", "-q", "master")
			write(t, dir, "src/app.py", "mine")
			commitAll(t, dir, "mine")
			runFails(t, dir, "merge", "-q", "other")
		}, true},
		{"a submodule", func(t *testing.T, dir string) {
			sub := newRepo(t)
			run(t, dir, "-c", "protocol.file.allow=always", "submodule", "add", "-q", sub, "sub")
		}, true},
		{"untracked cache", func(t *testing.T, dir string) {
			run(t, dir, "config", "core.untrackedCache", "true")
			write(t, dir, "u.txt", "u")
			run(t, dir, "update-index", "--untracked-cache")
			run(t, dir, "status", "-uall")
		}, true},
		{"no index", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, ".git", "index")); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"split index: git reads it", func(t *testing.T, dir string) {
			run(t, dir, "update-index", "--split-index")
			write(t, dir, "s.txt", "s")
			run(t, dir, "add", "s.txt")
		}, false},
		{"sparse index: git reads it", func(t *testing.T, dir string) {
			write(t, dir, "docs/guide.md", "g")
			commitAll(t, dir, "docs")
			run(t, dir, "sparse-checkout", "init", "--cone", "--sparse-index")
			run(t, dir, "sparse-checkout", "set", "src")
		}, false},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := newRepo(t)
			tt.setup(t, dir)
			wantFiles, err := Files(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			wantChanged, _, err := status(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			files, changed, err := Worktree(ctx, filepath.Join(dir, "src"))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(wantFiles, files); diff != "" {
				t.Errorf("files (-ls-files +Worktree):\n%s", diff)
			}
			if diff := cmp.Diff(wantChanged, changed); diff != "" {
				t.Errorf("changes (-status +Worktree):\n%s", diff)
			}
			_, ierr := indexPaths(Open(dir))
			if native := !errors.Is(ierr, errUnsupported); native != tt.native {
				t.Errorf("indexPaths answered = %v (err %v), want %v", native, ierr, tt.native)
			}
		})
	}
}

// runFails runs a git command that is expected to fail (a conflicted
// merge).
func runFails(t *testing.T, dir string, args ...string) {
	t.Helper()
	if out, err := gitCmd(dir, args...).CombinedOutput(); err == nil {
		t.Fatalf("git %s succeeded:\n%s", strings.Join(args, " "), out)
	}
}

func TestParseIndexDamaged(t *testing.T) {
	dir := newRepo(t)
	data, err := os.ReadFile(filepath.Join(dir, ".git", "index"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parseIndex(data); err != nil {
		t.Fatalf("intact index: %v", err)
	}
	flipped := append([]byte{}, data...)
	flipped[20] ^= 1
	for name, d := range map[string][]byte{"checksum": flipped, "truncated": data[:30], "empty": nil} {
		if _, err := parseIndex(d); !errors.Is(err, errUnsupported) {
			t.Errorf("%s: err = %v, want errUnsupported", name, err)
		}
	}
}

// gitCmd is a git command in dir.
func gitCmd(dir string, args ...string) *exec.Cmd {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	return cmd
}

// withChecksum appends the SHA-1 an index file ends with.
func withChecksum(data []byte) []byte {
	sum := sha1.Sum(data)
	return append(append([]byte{}, data...), sum[:]...)
}

func FuzzParseIndex(f *testing.F) {
	f.Add([]byte("DIRC\x00\x00\x00\x02\x00\x00\x00\x00"))
	// One version 2 entry for "a": stat data, mode 100644, object name,
	// flags (name length 1), the name and its padding.
	entry := make([]byte, 62)
	binary.BigEndian.PutUint32(entry[24:], 0o100644)
	binary.BigEndian.PutUint16(entry[60:], 1)
	entry = append(entry, 'a', 0, 0, 0, 0, 0, 0, 0, 0, 0)[:72]
	f.Add(append([]byte("DIRC\x00\x00\x00\x02\x00\x00\x00\x01"), entry...))
	v4 := append([]byte("DIRC\x00\x00\x00\x04\x00\x00\x00\x02"), entry[:62]...)
	v4 = append(v4, 0, 'a', 0)
	v4 = append(v4, entry[:62]...)
	f.Add(append(v4, 1, 'b', 0))
	f.Fuzz(func(t *testing.T, data []byte) {
		// The checksum keeps random input out: fuzz what follows it by
		// fixing it up.
		if len(data) < 12 {
			return
		}
		paths, err := parseIndex(withChecksum(data))
		if err != nil {
			return
		}
		for _, p := range paths {
			if p == "" {
				t.Fatal("empty path accepted")
			}
		}
	})
}

// TestWorktreeLinked reads a linked worktree's own index.
func TestWorktreeLinked(t *testing.T) {
	dir := newRepo(t)
	wt := filepath.Join(t.TempDir(), "wt")
	run(t, dir, "worktree", "add", "-q", "-b", "wt", wt)
	write(t, wt, "only-here.txt", "w")
	run(t, wt, "add", "only-here.txt")
	write(t, wt, "untracked.txt", "u")
	ctx := context.Background()
	want, err := Files(ctx, wt)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := Worktree(ctx, wt)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-ls-files +Worktree):\n%s", diff)
	}
	if !contains(got, "only-here.txt") || !contains(got, "untracked.txt") {
		t.Errorf("Worktree = %v, want the worktree's own staged and untracked files", got)
	}
	if _, err := indexPaths(Open(wt)); err != nil {
		t.Errorf("indexPaths: %v", err)
	}
}
