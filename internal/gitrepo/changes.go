package gitrepo

import (
	"context"
	"fmt"
)

// Changed lists the paths that differ between two commits, as GitLab's
// changes: sees them: added, modified and deleted files, and both sides
// of a rename. With mergeBase, from is replaced by the merge base of from
// and to (git diff from...to), which is what a merge request compares.
func Changed(ctx context.Context, dir, from, to string, mergeBase bool) ([]string, error) {
	rng := []string{from, to}
	if mergeBase {
		rng = []string{from + "..." + to}
	}
	args := append([]string{"diff", "--name-only", "-z", "--no-renames", "--no-ext-diff", "--no-textconv"}, rng...)
	args = append(args, "--")
	out, err := git(ctx, dir, args...)
	if err != nil {
		return nil, fmt.Errorf("changed files %s..%s: %w", from, to, err)
	}
	return orEmpty(sortedUnique(splitZ(out))), nil
}

// Worktree returns what Files returns, and the paths that differ between
// HEAD and the working tree (staged, unstaged and untracked-not-ignored
// files: a local run's rules:changes see what the user is about to
// commit). One git command answers both: git status lists the changes
// and the untracked files, and the tracked files are read from the index
// directly (git ls-files when the index is one indexPaths leaves to it).
func Worktree(ctx context.Context, dir string) (files, changed []string, err error) {
	return Open(dir).Worktree(ctx)
}

// Worktree is the package's Worktree for the working copy r located.
func (r *Repo) Worktree(ctx context.Context) (files, changed []string, err error) {
	tracked, idxErr := indexPaths(r)
	changed, untracked, err := status(ctx, r.dir)
	if err != nil {
		return nil, nil, err
	}
	if idxErr != nil {
		// Declined (errUnsupported) or unreadable: git lists them.
		files, err = Files(ctx, r.dir)
		return files, changed, err
	}
	return orEmpty(sortedUnique(append(tracked, untracked...))), changed, nil
}

// status runs git status: the changed paths (staged, unstaged and
// untracked), and the untracked ones alone. --untracked-files=all lists
// untracked files one by one, as ls-files --others does.
func status(ctx context.Context, dir string) (changed, untracked []string, err error) {
	out, err := git(ctx, dir, "status", "--porcelain=v1", "-z", "--no-renames", "--untracked-files=all", "--ignore-submodules=none")
	if err != nil {
		return nil, nil, fmt.Errorf("working tree changes: %w", err)
	}
	for _, e := range splitZ(out) {
		// Each entry is "XY path"; --no-renames means no second path.
		if len(e) > 3 {
			changed = append(changed, e[3:])
			if e[:3] == "?? " {
				untracked = append(untracked, e[3:])
			}
		}
	}
	return orEmpty(sortedUnique(changed)), untracked, nil
}

// Files lists the files of the working copy that rules:exists can see:
// tracked files plus untracked files that are not ignored, relative to the
// top-level directory, sorted.
func Files(ctx context.Context, dir string) ([]string, error) {
	out, err := git(ctx, dir, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--full-name", "--deduplicate", ":/")
	if err != nil {
		return nil, fmt.Errorf("list files: %w", err)
	}
	return orEmpty(sortedUnique(splitZ(out))), nil
}

// orEmpty turns nil into an empty list: callers tell "nothing changed"
// (empty) from "unknown" (nil).
func orEmpty(names []string) []string {
	if names == nil {
		return []string{}
	}
	return names
}
