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

// WorkingChanges lists the paths that differ between HEAD and the working
// tree: staged, unstaged and untracked-not-ignored files. A local run
// uses it so that rules:changes sees what the user is about to commit.
func WorkingChanges(ctx context.Context, dir string) ([]string, error) {
	out, err := git(ctx, dir, "status", "--porcelain=v1", "-z", "--no-renames", "--untracked-files=all", "--ignore-submodules=none")
	if err != nil {
		return nil, fmt.Errorf("working tree changes: %w", err)
	}
	var names []string
	for _, e := range splitZ(out) {
		// Each entry is "XY path"; --no-renames means no second path.
		if len(e) > 3 {
			names = append(names, e[3:])
		}
	}
	return orEmpty(sortedUnique(names)), nil
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
