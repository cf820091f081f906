package gitrepo

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// layout is where a working copy keeps its git data, found without
// running git.
type layout struct {
	// top is the working copy's top-level directory, symlinks resolved
	// as git prints it.
	top string
	// gitDir holds HEAD and the index: top/.git, or for a linked
	// worktree the directory its .git file names.
	gitDir string
	// commonDir holds the config, the refs and the objects: gitDir, or
	// what a worktree's commondir file names.
	commonDir string
	// config is the repository's own config file, parsed.
	config []configEntry
}

// gitEnv are the environment variables that change where git looks for
// a repository, its refs, objects or configuration: with any of them set,
// only git knows what it would read.
var gitEnv = []string{
	"GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_IMPLICIT_WORK_TREE",
	"GIT_CEILING_DIRECTORIES", "GIT_DISCOVERY_ACROSS_FILESYSTEM",
	"GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES",
	"GIT_CONFIG", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT",
	"GIT_NAMESPACE", "GIT_REPLACE_REF_BASE", "GIT_NO_REPLACE_OBJECTS",
	"GIT_GRAFT_FILE", "GIT_SHALLOW_FILE", "GIT_REF_PARANOIA", "GIT_PREFIX",
}

// discover finds the working copy containing dir as git's setup does,
// declining (errUnsupported) whatever it does not follow exactly: the
// variables above, a bare repository, a .git that is not a repository,
// a search crossing a file system, a core.worktree, data owned by another
// user (git's safe.directory check), repository extensions (SHA-256,
// reftable, per-worktree config, partial clones).
func discover(dir string) (layout, error) {
	for _, name := range gitEnv {
		if _, ok := os.LookupEnv(name); ok {
			return layout{}, fmt.Errorf("%s is set: %w", name, errUnsupported)
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return layout{}, errUnsupported
	}
	// git chdirs and asks getcwd: the top it prints has no symlinks.
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return layout{}, fmt.Errorf("%s: %w", dir, errUnsupported)
	}
	for _, part := range strings.Split(real, string(filepath.Separator)) {
		if part == ".git" {
			return layout{}, fmt.Errorf("inside a git directory: %w", errUnsupported)
		}
	}
	start, err := os.Stat(real)
	if err != nil {
		return layout{}, errUnsupported
	}
	dev := deviceOf(start)
	for d := real; ; {
		l, found, err := atDir(d)
		if err != nil || found {
			if err == nil {
				err = l.check()
			}
			return l, err
		}
		parent := filepath.Dir(d)
		if parent == d {
			// Not a repository: git words the error (and ErrNotRepo).
			return layout{}, fmt.Errorf("no .git found: %w", errUnsupported)
		}
		if fi, err := os.Stat(parent); err != nil || deviceOf(fi) != dev {
			return layout{}, fmt.Errorf("%s: another file system: %w", parent, errUnsupported)
		}
		d = parent
	}
}

// atDir looks for a repository at d: its .git directory or file.
func atDir(d string) (layout, bool, error) {
	dotGit := filepath.Join(d, ".git")
	fi, err := os.Lstat(dotGit)
	if errors.Is(err, os.ErrNotExist) {
		if isGitDir(d, d) {
			return layout{}, false, fmt.Errorf("%s is a bare repository: %w", d, errUnsupported)
		}
		return layout{}, false, nil
	}
	if err != nil {
		return layout{}, false, errUnsupported
	}
	uid := os.Geteuid()
	if _, sudo := os.LookupEnv("SUDO_UID"); uid == 0 && sudo {
		// git run by sudo checks ownership against the sudoing user.
		return layout{}, false, fmt.Errorf("SUDO_UID is set: %w", errUnsupported)
	}
	l := layout{top: d, gitDir: dotGit, commonDir: dotGit}
	switch {
	case fi.IsDir():
	case fi.Mode().IsRegular():
		// A linked worktree or a submodule: "gitdir: <path>".
		data, err := os.ReadFile(dotGit)
		if err != nil {
			return layout{}, false, errUnsupported
		}
		target, ok := strings.CutPrefix(strings.TrimRight(string(data), "\r\n"), "gitdir: ")
		if !ok || target == "" {
			return layout{}, false, fmt.Errorf("%s: %w", dotGit, errUnsupported)
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(d, target)
		}
		l.gitDir, l.commonDir = target, target
		if !ownedBy(target, uid) {
			return layout{}, false, fmt.Errorf("%s: owner: %w", target, errUnsupported)
		}
		if data, err := os.ReadFile(filepath.Join(target, "commondir")); err == nil {
			common := strings.TrimRight(string(data), "\r\n")
			if !filepath.IsAbs(common) {
				common = filepath.Join(target, common)
			}
			l.commonDir = filepath.Clean(common)
		} else if !errors.Is(err, os.ErrNotExist) {
			return layout{}, false, errUnsupported
		}
	default:
		return layout{}, false, fmt.Errorf("%s: %w", dotGit, errUnsupported)
	}
	if !ownedBy(d, uid) || !ownedBy(dotGit, uid) {
		return layout{}, false, fmt.Errorf("%s: owner: %w", d, errUnsupported)
	}
	if !isGitDir(l.gitDir, l.commonDir) {
		// git would go on searching above: rare enough to leave to it.
		return layout{}, false, fmt.Errorf("%s is not a repository: %w", l.gitDir, errUnsupported)
	}
	return l, true, nil
}

// isGitDir is git's test of a repository directory: a HEAD, and objects
// and refs directories (in the common directory of a worktree).
func isGitDir(gitDir, commonDir string) bool {
	if fi, err := os.Stat(filepath.Join(gitDir, "HEAD")); err != nil || !fi.Mode().IsRegular() {
		return false
	}
	for _, sub := range []string{"objects", "refs"} {
		if fi, err := os.Stat(filepath.Join(commonDir, sub)); err != nil || !fi.IsDir() {
			return false
		}
	}
	return true
}

// check reads the repository's config and declines what the direct
// reader does not follow.
func (l *layout) check() error {
	entries, err := readConfigFile(filepath.Join(l.commonDir, "config"))
	if err != nil {
		return fmt.Errorf("%w: %w", err, errUnsupported)
	}
	l.config = entries
	for _, e := range entries {
		switch {
		case e.name == "core.repositoryformatversion":
			if e.value != "0" && e.value != "1" {
				return fmt.Errorf("repository format %q: %w", e.value, errUnsupported)
			}
		case e.name == "extensions.objectformat" && strings.EqualFold(e.value, "sha1"):
		case strings.HasPrefix(e.name, "extensions."):
			return fmt.Errorf("%s: %w", e.name, errUnsupported)
		case e.name == "core.worktree":
			return fmt.Errorf("core.worktree: %w", errUnsupported)
		case e.name == "core.bare":
			if !isFalse(e) {
				return fmt.Errorf("core.bare: %w", errUnsupported)
			}
		}
	}
	return nil
}

// isFalse reports whether a config entry is one of git's spellings of
// false.
func isFalse(e configEntry) bool {
	if e.noValue {
		return false
	}
	switch strings.ToLower(e.value) {
	case "false", "no", "off", "0", "":
		return true
	}
	return false
}
