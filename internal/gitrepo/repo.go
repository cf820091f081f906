package gitrepo

import "context"

// Repo is the working copy containing a directory, located once: a run
// reads several facts of it (Read, Worktree, HasRefs), and each would
// otherwise find .git and parse its config again.
type Repo struct {
	dir string
	l   layout
	// err is discover's: the direct reader declined, and every method
	// asks git.
	err error
}

// Open locates the working copy containing dir as git would, without
// running it. It does not fail: what it cannot locate, or is no working
// copy, the methods leave to git, which reads or words the error.
func Open(dir string) *Repo {
	l, err := discover(dir)
	return &Repo{dir: dir, l: l, err: err}
}

// TopLevel returns the top-level directory of the working copy; it
// needs no commit.
func (r *Repo) TopLevel(ctx context.Context) (string, error) {
	if r.err == nil {
		return r.l.top, nil
	}
	return topLevelGit(ctx, r.dir)
}
