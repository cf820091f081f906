package gitrepo

import (
	"context"
	"errors"
	"path/filepath"
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

	tests := []struct {
		name  string
		names []string
		want  map[string]bool
	}{
		{"none asked", nil, map[string]bool{}},
		{"branch and tags", []string{"refs/heads/master", "refs/tags/v1", "refs/tags/v2", "refs/heads/v1"},
			map[string]bool{"refs/heads/master": true, "refs/tags/v1": true, "refs/tags/v2": true}},
		{"remote branch", []string{"refs/remotes/origin/main", "refs/remotes/origin/master"},
			map[string]bool{"refs/remotes/origin/main": true}},
		{"a prefix of a ref is not a ref", []string{"refs/tags/v3"}, map[string]bool{}},
		{"a glob is not a ref", []string{"refs/tags/v*"}, map[string]bool{}},
		{"a dangling symbolic ref", []string{"refs/remotes/origin/gone"}, map[string]bool{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := HasRefs(context.Background(), dir, tt.names...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("HasRefs(%q) (-want +got):\n%s", tt.names, diff)
			}
		})
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
