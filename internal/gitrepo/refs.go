package gitrepo

import (
	"context"
	"fmt"
	"io/fs"
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

// CommonDir returns the directory holding the repository's objects and
// refs: the .git directory, or a linked worktree's main one. It is read
// from the file system where the repository was located, even one whose
// config the direct reader declines (its layout is git's all the same),
// else asked of git.
func (r *Repo) CommonDir(ctx context.Context) (string, error) {
	if r.l.commonDir != "" {
		return r.l.commonDir, nil
	}
	out, err := git(ctx, r.dir, "rev-parse", "--path-format=absolute", "--git-common-dir")
	if err != nil {
		return "", fmt.Errorf("git directory: %w", err)
	}
	return filepath.FromSlash(strings.TrimSpace(string(out))), nil
}

// BranchesAndTags returns the repository's branches and tags, full ref
// name -> object name (SHA-1 or SHA-256), for a copy of the repository
// such as a job's clone. Read from .git directly, a loose ref that is
// symbolic, half-written or oddly named is skipped: it costs the copy a
// ref, never the caller its run. A repository the direct reader declines
// (reftable, SHA-256, see discover) is listed by git for-each-ref.
func (r *Repo) BranchesAndTags(ctx context.Context) (map[string]string, error) {
	if r.err == nil {
		if refs, err := branchesAndTagsNative(r.l); err == nil {
			return refs, nil
		}
	}
	out, err := git(ctx, r.dir, "for-each-ref", "--format=%(objectname) %(refname)", "refs/heads", "refs/tags")
	if err != nil {
		return nil, fmt.Errorf("read refs: %w", err)
	}
	refs := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if obj, name, ok := strings.Cut(line, " "); ok {
			refs[name] = obj
		}
	}
	return refs, nil
}

// branchesAndTagsNative is BranchesAndTags from packed-refs and the loose
// refs; errUnsupported for a packed-refs git may read otherwise.
func branchesAndTagsNative(l layout) (map[string]string, error) {
	r := &refStore{l: l, looseRead: map[string]looseRef{}}
	if err := r.loadPacked(); err != nil {
		return nil, err
	}
	refs := map[string]string{}
	for name, p := range r.packed {
		if strings.HasPrefix(name, "refs/heads/") || strings.HasPrefix(name, "refs/tags/") {
			refs[name] = p.sha
		}
	}
	for _, dir := range []string{"refs/heads", "refs/tags"} {
		err := r.eachLoose(dir, func(name string, d fs.DirEntry) error {
			if !d.Type().IsRegular() || !validRefName(name) {
				return nil
			}
			// A read error is a ref deleted or being written meanwhile.
			if sha, ok, err := r.loose(name); err == nil && ok && isHex40(sha) {
				refs[name] = sha
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return refs, nil
}
