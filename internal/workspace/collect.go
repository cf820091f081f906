package workspace

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// fileSet collects the entries to archive from a workspace with GitLab
// runner's rules:
//   - each path is a doublestar glob relative to the workspace (an absolute
//     path inside the workspace, as from $CI_PROJECT_DIR/x, is accepted);
//   - a matching directory brings everything under it, recursively;
//   - exclude globs are matched against every one of those paths;
//   - untracked adds what `git ls-files -o` lists, ignored files included;
//   - a path matching nothing is a warning, not an error.
//
// Unlike the runner, globbing never follows a symlink: a symlink is taken
// as a symlink, and a path whose parent is a symlink leading out of the
// workspace is refused, so an artifact cannot carry files from elsewhere.
type fileSet struct {
	root     *os.Root
	ws       string // absolute workspace path, for messages and absolute paths
	log      io.Writer
	exclude  []string
	entries  map[string]bool
	excluded map[string]int
}

func newFileSet(root *os.Root, ws string, exclude []string, log io.Writer) *fileSet {
	s := &fileSet{root: root, ws: ws, log: log, entries: map[string]bool{}, excluded: map[string]int{}}
	for _, e := range exclude {
		rel, err := s.relPattern(e)
		if err != nil {
			s.warn("exclude: %v", err)
			continue
		}
		s.exclude = append(s.exclude, rel)
	}
	return s
}

func (s *fileSet) warn(format string, args ...any) {
	fmt.Fprintf(s.log, "WARNING: "+format+"\n", args...)
}

// relPattern makes a path or glob relative to the workspace, refusing one
// that leads out of it.
func (s *fileSet) relPattern(p string) (string, error) {
	p = filepath.ToSlash(p)
	base, pattern := p, ""
	if strings.ContainsAny(p, "*?[{") {
		base, pattern = doublestar.SplitPattern(p)
	}
	abs := base
	if !path.IsAbs(base) {
		abs = path.Join(filepath.ToSlash(s.ws), base)
	}
	rel, err := filepath.Rel(s.ws, filepath.FromSlash(abs))
	if err != nil {
		return "", fmt.Errorf("%s: %w", p, err)
	}
	rel = filepath.ToSlash(rel)
	if rel == ".." || strings.HasPrefix(rel, "../") {
		return "", fmt.Errorf("artifact path is not a subpath of project directory: %s", p)
	}
	return path.Join(rel, pattern), nil
}

func (s *fileSet) isExcluded(rel string) (string, bool) {
	for _, e := range s.exclude {
		if ok, _ := doublestar.Match(e, rel); ok { // patterns were validated by relPattern's callers' globbing
			return e, true
		}
	}
	return "", false
}

// add takes one path found by a glob or by git, unless excluded.
func (s *fileSet) add(rel string) bool {
	if e, ok := s.isExcluded(rel); ok {
		s.excluded[e]++
		return false
	}
	if rel != "." {
		s.entries[rel] = true
	}
	return true
}

// addPath adds everything one artifacts:paths entry matches.
func (s *fileSet) addPath(p string) {
	if p == "" {
		s.warn("No matching files. Path is empty.")
		return
	}
	rel, err := s.relPattern(p)
	if err != nil {
		s.warn("%v", err)
		return
	}
	// A plain path is looked up with Lstat, not globbed: globbing stats
	// it, which would follow a symlink instead of taking it as one.
	matches := []string{rel}
	if strings.ContainsAny(rel, "*?[{\\") {
		var err error
		matches, err = doublestar.Glob(s.root.FS(), rel, doublestar.WithNoFollow())
		if err != nil {
			s.warn("%s: %v", p, err)
			return
		}
	} else if _, err := s.root.Lstat(rel); err != nil {
		matches = nil
	}
	found := 0
	for _, m := range matches {
		found += s.walk(m)
	}
	if found == 0 {
		s.warn("%s: no matching files. Ensure that the artifact path is relative to the working directory (%s)", p, s.ws)
		return
	}
	fmt.Fprintf(s.log, "%s: found %d matching artifact files and directories\n", p, found)
}

// walk adds rel and, for a directory, everything under it, without
// following symlinks. It returns how many entries it took.
func (s *fileSet) walk(rel string) int {
	fi, err := s.root.Lstat(rel)
	if err != nil {
		s.warn("%s: %v", rel, err)
		return 0
	}
	n := 0
	if s.add(rel) {
		n++
	}
	if !fi.IsDir() {
		return n
	}
	f, err := s.root.Open(rel)
	if err != nil {
		s.warn("%s: %v", rel, err)
		return n
	}
	names, err := f.Readdirnames(-1)
	f.Close() // read-only
	if err != nil {
		s.warn("%s: %v", rel, err)
	}
	sort.Strings(names)
	for _, name := range names {
		n += s.walk(path.Join(rel, name))
	}
	return n
}

// addUntracked adds the files git does not track in the workspace. Like
// GitLab, ignored files count as untracked. Outside git, every file does.
func (s *fileSet) addUntracked(ctx context.Context) {
	var names []string
	if _, err := s.root.Lstat(".git"); err == nil {
		out, err := gitOutput(ctx, s.ws, "ls-files", "-o", "-z")
		if err != nil {
			s.warn("untracked: %v", err)
			return
		}
		for _, f := range bytes.Split(out, []byte{0}) {
			if len(f) > 0 {
				names = append(names, strings.TrimSuffix(string(f), "/"))
			}
		}
	} else {
		err := fs.WalkDir(s.root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || p == "." {
				return err
			}
			if p == ".git" {
				return fs.SkipDir
			}
			if !d.IsDir() {
				names = append(names, p)
			}
			return nil
		})
		if err != nil {
			s.warn("untracked: %v", err)
		}
	}
	found := 0
	for _, n := range names {
		if s.add(n) {
			found++
		}
	}
	if found == 0 {
		s.warn("untracked: no files")
		return
	}
	fmt.Fprintf(s.log, "untracked: found %d files\n", found)
}

// sorted returns the collected entries in archive order, and says how many
// each exclude pattern removed.
func (s *fileSet) sorted() []string {
	for _, e := range sortedKeys(s.excluded) {
		fmt.Fprintf(s.log, "%s: excluded %d files\n", e, s.excluded[e])
	}
	out := make([]string, 0, len(s.entries))
	for e := range s.entries {
		out = append(out, e)
	}
	sort.Strings(out)
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
