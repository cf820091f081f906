// Package workspace prepares the directories jobs run in and carries files
// between them the way GitLab does: a fresh copy of the repository per job,
// artifacts saved after a job and restored into the jobs that depend on it,
// caches keyed by name or by file contents, and dotenv reports turned into
// variables. Everything lives under the repository's .gantry directory:
//
//	.gantry/.gitignore                    "*", so the user's repo stays clean
//	.gantry/builds/<job-slug>/            job workspaces
//	.gantry/artifacts/<pipeline>/<job>/   artifacts.tar, reports/, dotenv
//	.gantry/cache/<key>/cache.tar         caches
//	.gantry/tmp/                          scratch space (git template, temp files)
//
// It does not know about the scheduler: callers pass the job's artifacts and
// cache specs from the pipeline model and a writer for the job's log.
package workspace

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// DirName is the name of gantry's directory at the repository root.
const DirName = ".gantry"

// Dir is the .gantry directory of one repository.
type Dir struct {
	// Root is the repository's top directory; Path is Root/.gantry.
	Root string
	Path string
}

// Open creates root/.gantry if needed, with a .gitignore that ignores
// everything in it, so that running gantry never dirties the repository.
func Open(root string) (*Dir, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("open workspace dir: %w", err)
	}
	d := &Dir{Root: abs, Path: filepath.Join(abs, DirName)}
	if err := os.MkdirAll(d.Path, 0o755); err != nil {
		return nil, fmt.Errorf("open workspace dir: %w", err)
	}
	ignore := filepath.Join(d.Path, ".gitignore")
	if _, err := os.Stat(ignore); errors.Is(err, fs.ErrNotExist) {
		if err := writeFileAtomic(ignore, []byte("*\n"), 0o644); err != nil {
			return nil, fmt.Errorf("open workspace dir: %w", err)
		}
	}
	// Old workspaces a killed run did not finish deleting. Other entries
	// of tmp may belong to a run going on now.
	stale, _ := filepath.Glob(filepath.Join(d.Path, "tmp", "old-*")) // the pattern is valid
	for _, p := range stale {
		if err := removeAll(p); err != nil {
			return nil, fmt.Errorf("open workspace dir: %w", err)
		}
	}
	return d, nil
}

// BuildDir is where the workspace of the job with this slug lives.
func (d *Dir) BuildDir(slug string) string { return filepath.Join(d.Path, "builds", slug) }

// TempDir returns a new private directory under .gantry/tmp, on the same
// file system as everything else so that renames are atomic.
func (d *Dir) TempDir(pattern string) (string, error) {
	base := filepath.Join(d.Path, "tmp")
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", err
	}
	return os.MkdirTemp(base, pattern)
}

// writeFileAtomic writes data to a temporary file beside path and renames
// it over path, so that readers see the old or the new content, never half.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	return replaceFile(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// replaceFile is writeFileAtomic for content that write streams to the
// temporary file (an archive), rather than bytes in memory.
func replaceFile(path string, perm os.FileMode, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = write(f)
	if err == nil {
		err = f.Chmod(perm)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp) // best effort: the error that matters is err
	}
	return err
}

// maxSlug is GitLab's limit for CI_JOB_NAME_SLUG.
const maxSlug = 63

// Slug turns a job name into a directory name the way GitLab builds
// CI_JOB_NAME_SLUG: lower case, runs of other characters than a-z and 0-9
// become one "-", trimmed, at most 63 bytes. "test: [linux, amd64]" becomes
// "test-linux-amd64". An empty result becomes "job".
func Slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	s := b.String()
	if len(s) > maxSlug {
		s = strings.TrimRight(s[:maxSlug], "-")
	}
	if s == "" {
		s = "job"
	}
	return s
}

// UniqueSlugs gives each name its Slug, adding a short hash of the name to
// the slugs that several names share ("a b" and "a-b"), so that no two jobs
// of a pipeline share a directory.
func UniqueSlugs(names []string) map[string]string {
	count := map[string]int{}
	for _, n := range names {
		count[Slug(n)]++
	}
	out := make(map[string]string, len(names))
	for _, n := range names {
		s := Slug(n)
		if count[s] > 1 {
			sum := sha1.Sum([]byte(n))
			h := hex.EncodeToString(sum[:4])
			if len(s) > maxSlug-len(h)-1 {
				s = strings.TrimRight(s[:maxSlug-len(h)-1], "-")
			}
			s += "-" + h
		}
		out[n] = s
	}
	return out
}
