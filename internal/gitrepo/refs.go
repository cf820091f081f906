package gitrepo

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
)

// HasRefs reports which of the full ref names (refs/heads/x,
// refs/tags/x, refs/remotes/origin/x) exist, as git for-each-ref lists
// them: read from .git directly when it can be done exactly, else with one
// git command. A symbolic ref whose target is missing does not exist, as
// for git rev-parse --verify.
func HasRefs(ctx context.Context, dir string, names ...string) (map[string]bool, error) {
	return Open(dir).HasRefs(ctx, names...)
}

// HasRefs is the package's HasRefs for the working copy r located.
func (r *Repo) HasRefs(ctx context.Context, names ...string) (map[string]bool, error) {
	have := map[string]bool{}
	if len(names) == 0 {
		// for-each-ref without a pattern would list every ref.
		return have, nil
	}
	if have, err := hasRefsNative(r, names); err == nil {
		return have, nil
	}
	return hasRefsGit(ctx, r.dir, names)
}

// hasRefsGit is HasRefs by git for-each-ref.
func hasRefsGit(ctx context.Context, dir string, names []string) (map[string]bool, error) {
	have := map[string]bool{}
	out, err := git(ctx, dir, append([]string{"for-each-ref", "--format=%(refname)"}, names...)...)
	if err != nil {
		return nil, fmt.Errorf("read refs: %w", err)
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	// A pattern also matches the refs below it (refs/tags/v1 matches
	// refs/tags/v1/rc) and may hold glob characters: keep exact names.
	for _, line := range strings.Split(string(out), "\n") {
		if want[line] {
			have[line] = true
		}
	}
	return have, nil
}

// hasRefsNative is HasRefs without git; errUnsupported when only git
// can tell (see discover), or for a name this reader does not check.
func hasRefsNative(r *Repo, names []string) (map[string]bool, error) {
	if r.err != nil {
		return nil, r.err
	}
	refs, err := newRefStore(r.l)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, name := range names {
		if !strings.HasPrefix(name, "refs/") || !validRefName(name) {
			// A pattern, or a name git may read another way.
			return nil, fmt.Errorf("ref %q: %w", name, errUnsupported)
		}
		_, ok, err := refs.listed(name)
		if err != nil {
			return nil, err
		}
		if ok {
			have[name] = true
		}
	}
	return have, nil
}

// TopLevel returns the top-level directory of the working copy containing
// dir; it needs no commit. It is read from the file system as git finds it
// (see discover), else asked of git.
func TopLevel(ctx context.Context, dir string) (string, error) {
	return Open(dir).TopLevel(ctx)
}

// topLevelGit is TopLevel by git rev-parse.
func topLevelGit(ctx context.Context, dir string) (string, error) {
	out, err := git(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return "", fmt.Errorf("top-level directory: %w", err)
	}
	return filepath.FromSlash(strings.TrimSpace(string(out))), nil
}
