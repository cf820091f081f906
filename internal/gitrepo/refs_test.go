package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestHasRefs(t *testing.T) {
	dir := newRepo(t)
	run(t, dir, "tag", "v1")
	run(t, dir, "tag", "-a", "-m", "release", "v2")
	run(t, dir, "tag", "v3/rc")
	run(t, dir, "update-ref", "refs/remotes/origin/main", "HEAD")
	run(t, dir, "symbolic-ref", "refs/remotes/origin/gone", "refs/remotes/origin/nothing")
	// A ref to an object the repository does not have: git decides
	// (2.39 lists it, older versions do not).
	write(t, dir, ".git/refs/heads/broken", strings.Repeat("ab", 20)+"\n")

	tests := []struct {
		name  string
		names []string
		want  map[string]bool // nil: what for-each-ref says
	}{
		{"none asked", nil, map[string]bool{}},
		{"branch and tags", []string{"refs/heads/master", "refs/tags/v1", "refs/tags/v2", "refs/heads/v1"},
			map[string]bool{"refs/heads/master": true, "refs/tags/v1": true, "refs/tags/v2": true}},
		{"remote branch", []string{"refs/remotes/origin/main", "refs/remotes/origin/master"},
			map[string]bool{"refs/remotes/origin/main": true}},
		{"a prefix of a ref is not a ref", []string{"refs/tags/v3"}, map[string]bool{}},
		{"a glob is not a ref", []string{"refs/tags/v*"}, map[string]bool{}},
		{"a dangling symbolic ref", []string{"refs/remotes/origin/gone"}, map[string]bool{}},
		{"a ref to a missing object", []string{"refs/heads/broken"}, nil},
	}
	// The same refs loose, then packed: HasRefs (.git read directly) and
	// for-each-ref must agree on both.
	for _, packed := range []bool{false, true} {
		if packed {
			run(t, dir, "pack-refs", "--all")
		}
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/packed=%v", tt.name, packed), func(t *testing.T) {
				got, err := HasRefs(context.Background(), dir, tt.names...)
				if err != nil {
					t.Fatal(err)
				}
				if len(tt.names) > 0 {
					viaGit, err := hasRefsGit(context.Background(), dir, tt.names)
					if err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(viaGit, got); diff != "" {
						t.Errorf("HasRefs(%q) (-for-each-ref +HasRefs):\n%s", tt.names, diff)
					}
				}
				if tt.want != nil {
					if diff := cmp.Diff(tt.want, got); diff != "" {
						t.Errorf("HasRefs(%q) (-want +got):\n%s", tt.names, diff)
					}
				}
			})
		}
	}
}

func TestTopLevel(t *testing.T) {
	dir := newRepo(t)
	got, err := TopLevel(context.Background(), filepath.Join(dir, "src"))
	if err != nil {
		t.Fatal(err)
	}
	realDir, _ := filepath.EvalSymlinks(dir)
	if real, _ := filepath.EvalSymlinks(got); real != realDir {
		t.Errorf("TopLevel = %q, want %q", got, dir)
	}
	if _, err := TopLevel(context.Background(), t.TempDir()); !errors.Is(err, ErrNotRepo) {
		t.Errorf("TopLevel outside a repository: err = %v, want ErrNotRepo", err)
	}
}
