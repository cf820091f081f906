// Package gitrepo reads the facts of a git working copy that a pipeline
// needs (commit, ref, author, remote, default branch, changed and present
// files). A local run waits for them before its first job, so what can be
// read from .git exactly as git reads it (HEAD, loose and packed refs,
// objects, the config, the index) is read directly; everything else, and
// whatever the direct reader declines, is asked of the git command. It
// never writes to the repository.
package gitrepo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// ZeroSHA is the all-zero object name GitLab gives CI_COMMIT_BEFORE_SHA
// when there is no previous commit to compare with.
const ZeroSHA = "0000000000000000000000000000000000000000"

// ErrNotRepo means the directory is not inside a git working copy.
var ErrNotRepo = errors.New("not a git repository")

// ErrNoCommit means the repository has no commit yet (HEAD is unborn).
var ErrNoCommit = errors.New("repository has no commit")

// git runs git in dir and returns its standard output. Errors carry git's
// own stderr, which says what went wrong better than an exit status.
func git(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	// A fixed environment keeps output machine-readable whatever the
	// user's locale, pager or colour configuration, and never takes locks
	// a concurrent git command of the user would trip on.
	cmd.Env = append(cmd.Environ(), "LC_ALL=C", "GIT_PAGER=cat", "GIT_TERMINAL_PROMPT=0", "GIT_OPTIONAL_LOCKS=0")
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if strings.Contains(msg, "not a git repository") {
			return nil, fmt.Errorf("%s: %w", dir, ErrNotRepo)
		}
		code := -1
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		}
		return nil, &gitError{args: args, code: code, stderr: msg, err: err}
	}
	return stdout.Bytes(), nil
}

// gitError is a git command that failed.
type gitError struct {
	args   []string
	code   int
	stderr string
	err    error
}

func (e *gitError) Error() string {
	if e.stderr == "" {
		return fmt.Sprintf("git %s: %v", e.args[0], e.err)
	}
	return fmt.Sprintf("git %s: %s", e.args[0], e.stderr)
}

func (e *gitError) Unwrap() error { return e.err }

// splitZ splits NUL-terminated git output (-z) into its entries.
func splitZ(out []byte) []string {
	var names []string
	for _, f := range bytes.Split(out, []byte{0}) {
		if len(f) > 0 {
			names = append(names, string(f))
		}
	}
	return names
}
