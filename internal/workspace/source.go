package workspace

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// Source is the repository as one pipeline sees it: which files a job's
// workspace gets and which commit its .git points at. It is read once per
// pipeline so that every job gets the same file list; contents are copied
// when each job's workspace is created.
//
// Which files: like GitLab's fresh clone, the tracked files, plus (because
// a local run is about the work not yet committed) untracked files that are
// not ignored, at their current working-tree content. Tracked files deleted
// from the working tree are left out.
//
// The .git: one `git clone --shared --no-checkout` of the repository per
// pipeline, its HEAD detached at the current commit as GitLab checks it
// out, its index read from HEAD; each job gets a copy of that small
// directory. --shared borrows the repository's objects through
// objects/info/alternates, so cloning costs milliseconds whatever the
// history's size, and `git log`, `git describe` and `git diff` work in the
// job. Rejected: a symlink to the user's .git (a job's `git checkout` or
// `git commit` would change the user's repository), `git worktree` (it
// registers every job in the user's repository and checks out only
// committed content) and a plain copy of .git (proportional to history).
type Source struct {
	dir   *Dir
	files []string
	// top is the git top-level directory, "" when the root is not in git.
	top  string
	head string

	once     sync.Once
	template string // .git directory to copy into each workspace
	tmplErr  error
	tmpDir   string

	// removing tracks old workspaces being deleted in the background.
	removing sync.WaitGroup
}

// Snapshot lists the repository's files for a pipeline. Outside git, every
// file under the root except .gantry and .git is taken.
func (d *Dir) Snapshot(ctx context.Context) (*Source, error) {
	s := &Source{dir: d}
	out, err := gitOutput(ctx, d.Root, "rev-parse", "--show-toplevel")
	if err != nil {
		files, werr := walkFiles(d.Root)
		if werr != nil {
			return nil, fmt.Errorf("snapshot %s: %w", d.Root, werr)
		}
		s.files = files
		return s, nil
	}
	s.top = strings.TrimSpace(string(out))
	if out, err := gitOutput(ctx, d.Root, "rev-parse", "-q", "--verify", "HEAD^{commit}"); err == nil {
		s.head = strings.TrimSpace(string(out))
	}
	out, err = gitOutput(ctx, d.Root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", d.Root, err)
	}
	seen := map[string]bool{}
	for _, f := range bytes.Split(out, []byte{0}) {
		name := string(f)
		// Unmerged paths are listed once per stage; a trailing slash is
		// an untracked nested repository, which a clone would not have.
		if name == "" || seen[name] || strings.HasSuffix(name, "/") || skipped(name) {
			continue
		}
		seen[name] = true
		s.files = append(s.files, name)
	}
	return s, nil
}

// skipped reports whether a root-relative path is gantry's own or git's.
func skipped(rel string) bool {
	first, _, _ := strings.Cut(rel, "/")
	return first == DirName || first == ".git"
}

func walkFiles(root string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p) // p is under root by construction
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if skipped(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() {
			files = append(files, rel)
		}
		return nil
	})
	sort.Strings(files)
	return files, err
}

// Files returns the slash-separated paths a workspace gets, relative to the
// root.
func (s *Source) Files() []string { return s.files }

// Head returns the commit a workspace's .git points at, "" without one.
func (s *Source) Head() string { return s.head }

// Create makes a fresh workspace for the job with this slug at
// Dir.BuildDir(slug), replacing what an earlier run left there, and returns
// its path.
func (s *Source) Create(ctx context.Context, slug string) (string, error) {
	dst := s.dir.BuildDir(slug)
	if err := s.discard(dst); err != nil {
		return "", fmt.Errorf("create workspace %s: %w", slug, err)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return "", fmt.Errorf("create workspace %s: %w", slug, err)
	}
	if s.top != "" {
		tmpl, err := s.gitTemplate(ctx)
		if err != nil {
			return "", fmt.Errorf("create workspace %s: %w", slug, err)
		}
		if err := copyTree(ctx, tmpl, filepath.Join(dst, ".git")); err != nil {
			return "", fmt.Errorf("create workspace %s: %w", slug, err)
		}
	}
	if err := copyFiles(ctx, s.dir.Root, dst, s.files); err != nil {
		return "", fmt.Errorf("create workspace %s: %w", slug, err)
	}
	return dst, nil
}

// discard moves an earlier run's workspace out of the way and deletes it
// in the background: unlinking thousands of files takes longer than
// copying them, and the job need not wait for it.
func (s *Source) discard(dst string) error {
	if _, err := os.Lstat(dst); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	trash, err := s.dir.TempDir("old-")
	if err != nil {
		return err
	}
	if err := os.Rename(dst, filepath.Join(trash, "ws")); err != nil {
		return errors.Join(err, os.Remove(trash))
	}
	s.removing.Add(1)
	go func() {
		defer s.removing.Done()
		// A failure leaves a directory under .gantry/tmp, which the
		// next Open removes again.
		_ = removeAll(trash)
	}()
	return nil
}

// Close waits for old workspaces to be deleted and removes the pipeline's
// scratch files (the .git template). The workspaces stay, for the user to
// look at.
func (s *Source) Close() error {
	s.removing.Wait()
	if s.tmpDir == "" {
		return nil
	}
	return removeAll(s.tmpDir)
}

func (s *Source) gitTemplate(ctx context.Context) (string, error) {
	s.once.Do(func() { s.template, s.tmplErr = s.makeGitTemplate(ctx) })
	return s.template, s.tmplErr
}

func (s *Source) makeGitTemplate(ctx context.Context) (string, error) {
	tmp, err := s.dir.TempDir("git-")
	if err != nil {
		return "", fmt.Errorf("git template: %w", err)
	}
	s.tmpDir = tmp
	// An empty template directory keeps the sample hooks out of every
	// workspace.
	empty := filepath.Join(tmp, "empty")
	repo := filepath.Join(tmp, "repo")
	if err := os.Mkdir(empty, 0o755); err != nil {
		return "", fmt.Errorf("git template: %w", err)
	}
	if _, err := gitOutput(ctx, tmp, "clone", "-q", "--shared", "--no-checkout", "--template="+empty, s.top, repo); err != nil {
		return "", fmt.Errorf("git template: %w", err)
	}
	gitDir := filepath.Join(repo, ".git")
	if s.head != "" {
		// Detached at the commit, as GitLab's runner checks it out.
		if err := os.WriteFile(filepath.Join(gitDir, "HEAD"), []byte(s.head+"\n"), 0o644); err != nil {
			return "", fmt.Errorf("git template: %w", err)
		}
		if _, err := gitOutput(ctx, repo, "read-tree", "HEAD"); err != nil {
			return "", fmt.Errorf("git template: %w", err)
		}
	}
	return gitDir, nil
}

// copyTree copies a directory tree (a .git template: a few dozen files).
func copyTree(ctx context.Context, src, dst string) error {
	var rels []string
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p) // p is under src by construction
		if rel != "." {
			rels = append(rels, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	return copyFiles(ctx, src, dst, rels)
}

// gitOutput runs git in dir with a predictable environment and returns its
// standard output; errors carry git's standard error.
func gitOutput(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	// Variables a git hook may have set would point git at another
	// repository than dir's.
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR":
			continue
		}
		env = append(env, kv)
	}
	cmd.Env = append(env, "GIT_TERMINAL_PROMPT=0", "LC_ALL=C", "GIT_OPTIONAL_LOCKS=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil, fmt.Errorf("git %s: %s", args[0], strings.TrimSpace(stderr.String()))
		}
		return nil, fmt.Errorf("git %s: %w", args[0], err)
	}
	return out, nil
}
