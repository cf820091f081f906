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
// workspace gets and which commit its .git points at. The file list is
// read once per pipeline so that every job gets the same files; contents
// are copied when each job's workspace is created.
//
// Which files: like GitLab's fresh clone, the tracked files, plus (because
// a local run is about the work not yet committed) untracked files that are
// not ignored, at their current working-tree content. Tracked files deleted
// from the working tree are left out.
//
// A job's workspace is brought to that state in place when an earlier run
// left one (see refresh), as GitLab Runner's default fetch strategy reuses
// the build directory and cleans it; its .git is a few small files written
// per job (see gitTemplate).
type Source struct {
	dir   *Dir
	files []string
	// top is the git top-level directory, "" when the root is not in git.
	top  string
	head string

	// want maps every path a workspace holds to whether it is a
	// directory; built once, for refresh.
	wantOnce sync.Once
	want     map[string]bool

	git     chan struct{} // closed when tmpl and tmplErr are set
	tmpl    *gitTemplate
	tmplErr error

	// removing tracks stale files being deleted in the background.
	removing sync.WaitGroup
}

// Repo is what the caller already knows of the git working copy a
// pipeline runs: NewSource runs no git command to learn it again.
type Repo struct {
	// Top is the working copy's top-level directory; "" outside git.
	Top string
	// Head is the commit jobs check out; "" before the first commit.
	Head string
}

// NewSource returns the Source of a pipeline from facts the caller read:
// the repository and the files a workspace gets (slash-separated, relative
// to d.Root; names under .gantry or .git and names ending in "/", which
// are nested repositories, are left out). It starts preparing the jobs'
// .git in the background; the first Create waits for it.
func (d *Dir) NewSource(ctx context.Context, repo Repo, files []string) *Source {
	s := &Source{dir: d, top: repo.Top, head: repo.Head, git: make(chan struct{})}
	seen := make(map[string]bool, len(files))
	for _, name := range files {
		if name == "" || seen[name] || strings.HasSuffix(name, "/") || skipped(name) {
			continue
		}
		seen[name] = true
		s.files = append(s.files, name)
	}
	sort.Strings(s.files)
	if s.top == "" {
		close(s.git)
		return s
	}
	go func() {
		defer close(s.git)
		s.tmpl, s.tmplErr = d.newGitTemplate(ctx, s.top, s.head)
	}()
	return s
}

// Snapshot lists the repository's files for a pipeline with git (or, outside
// git, every file under the root except .gantry and .git) and returns its
// Source. Callers that already know the files use NewSource.
func (d *Dir) Snapshot(ctx context.Context) (*Source, error) {
	out, err := gitOutput(ctx, d.Root, "rev-parse", "--show-toplevel")
	if err != nil {
		files, werr := walkFiles(d.Root)
		if werr != nil {
			return nil, fmt.Errorf("snapshot %s: %w", d.Root, werr)
		}
		return d.NewSource(ctx, Repo{}, files), nil
	}
	repo := Repo{Top: strings.TrimSpace(string(out))}
	if out, err := gitOutput(ctx, d.Root, "rev-parse", "-q", "--verify", "HEAD^{commit}"); err == nil {
		repo.Head = strings.TrimSpace(string(out))
	}
	out, err = gitOutput(ctx, d.Root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", d.Root, err)
	}
	var files []string
	// Unmerged paths are listed once per stage; NewSource drops repeats.
	for _, f := range bytes.Split(out, []byte{0}) {
		files = append(files, string(f))
	}
	return d.NewSource(ctx, repo, files), nil
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

// Create gives the job with this slug a fresh workspace at
// Dir.BuildDir(slug) and returns its path: the source files at their
// current content and a .git at the pipeline's commit, nothing else.
//
// A workspace an earlier run left there is brought to that state in
// place: files whose type, mode, size and modification time match the
// source's are kept (the check rsync and git's index make), others are
// copied again, and everything else (build output, restored artifacts
// and caches, a job's commits) goes. On ext4, creating and deleting a
// repository's worth of inodes per job cost far more than the job.
func (s *Source) Create(ctx context.Context, slug string) (string, error) {
	dst := s.dir.BuildDir(slug)
	fi, err := os.Lstat(dst)
	switch {
	case err == nil && fi.IsDir():
		if err = s.refresh(ctx, dst); err != nil && ctx.Err() == nil {
			// Something a job left cannot be removed or replaced in
			// place (files of another user, written by a container):
			// the whole directory moves aside, as a rename allows.
			if err = s.discard(dst); err == nil {
				err = s.fresh(ctx, dst)
			}
		}
	case err == nil:
		// Not a directory (a job replaced it with a symlink?): never
		// write through it.
		if err = s.discard(dst); err == nil {
			err = s.fresh(ctx, dst)
		}
	case errors.Is(err, fs.ErrNotExist):
		err = s.fresh(ctx, dst)
	}
	if err == nil {
		// The files first: the first jobs' .git may still be in the making.
		var tmpl *gitTemplate
		if tmpl, err = s.gitTemplate(); err == nil && tmpl != nil {
			err = tmpl.write(filepath.Join(dst, ".git"))
		}
	}
	if err != nil {
		return "", fmt.Errorf("create workspace %s: %w", slug, err)
	}
	return dst, nil
}

// fresh fills a new workspace directory.
func (s *Source) fresh(ctx context.Context, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	return copyFiles(ctx, s.dir.Root, dst, s.files)
}

// gitTemplate waits for the pipeline's .git template; nil outside git.
func (s *Source) gitTemplate() (*gitTemplate, error) {
	<-s.git
	return s.tmpl, s.tmplErr
}

// discard moves path out of the way and deletes it in the background:
// unlinking many files takes longer than the job need wait.
func (s *Source) discard(path string) error {
	trash, err := s.dir.TempDir("old-")
	if err != nil {
		return err
	}
	if err := os.Rename(path, filepath.Join(trash, "x")); err != nil {
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

// Close waits for the preparation of .git and the deletion of stale files
// to end. The workspaces stay, for the user to look at.
func (s *Source) Close() error {
	<-s.git
	s.removing.Wait()
	return nil
}

// gitOutput runs git in dir with a predictable environment and returns its
// standard output; errors carry git's standard error.
func gitOutput(ctx context.Context, dir string, args ...string) ([]byte, error) {
	return gitOutputEnv(ctx, dir, nil, args...)
}

func gitOutputEnv(ctx context.Context, dir string, extra []string, args ...string) ([]byte, error) {
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
	cmd.Env = append(append(env, "GIT_TERMINAL_PROMPT=0", "LC_ALL=C", "GIT_OPTIONAL_LOCKS=0"), extra...)
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
