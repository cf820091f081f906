package workspace

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
)

// wanted maps every path a workspace holds (the files and their parent
// directories) to whether it is a directory.
func (s *Source) wanted() map[string]bool {
	s.wantOnce.Do(func() {
		s.want = make(map[string]bool, len(s.files)*5/4)
		for _, f := range s.files {
			s.want[f] = false
			for d := path.Dir(f); d != "." && !s.want[d]; d = path.Dir(d) {
				s.want[d] = true
			}
		}
	})
	return s.want
}

// refresh brings an existing workspace to the source's state: what is not
// a source file goes (in the background), source files that differ from
// the working tree's are copied again, missing ones are copied. A file is
// unchanged when its type, permissions, size and modification time (set
// from the source's when copied) match the source's, or for a symlink its
// target; a job that rewrites a file keeping its size and resetting its
// time defeats this, as it defeats rsync and git.
//
// Nothing is followed: a symlink where a directory belongs is replaced by
// the directory, so a copy never writes outside the workspace.
func (s *Source) refresh(ctx context.Context, dst string) error {
	want := s.wanted()
	umask := processUmask()
	present := make(map[string]bool, len(s.files))
	var stale []string
	err := filepath.WalkDir(dst, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, _ := filepath.Rel(dst, p) // p is under dst by construction
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if rel == ".git" {
			return skip(d) // the template's business
		}
		isDir, ok := want[rel]
		switch {
		case ok && isDir && d.IsDir():
			if fi, err := d.Info(); err == nil && fi.Mode().Perm() != 0o755&^umask {
				// A job made it read-only: copies into it would fail.
				if err := os.Chmod(p, 0o755&^umask); err != nil {
					return err
				}
			}
			return nil
		case ok && !isDir && !d.IsDir() && s.unchanged(rel, p, d):
			present[rel] = true
			return nil
		}
		stale = append(stale, rel)
		return skip(d)
	})
	if err != nil {
		return err
	}
	if err := s.removeStale(dst, stale); err != nil {
		return err
	}
	var missing []string
	for _, f := range s.files {
		if !present[f] {
			missing = append(missing, f)
		}
	}
	return copyFiles(ctx, s.dir.Root, dst, missing)
}

// unchanged compares a workspace file with its source.
func (s *Source) unchanged(rel, dst string, d fs.DirEntry) bool {
	src, err := os.Lstat(filepath.Join(s.dir.Root, filepath.FromSlash(rel)))
	if err != nil {
		// Deleted since the snapshot: the copy skips it, so must we.
		return false
	}
	got, err := d.Info()
	if err != nil || got.Mode() != src.Mode() {
		return false
	}
	switch {
	case src.Mode()&fs.ModeSymlink != 0:
		a, err1 := os.Readlink(filepath.Join(s.dir.Root, filepath.FromSlash(rel)))
		b, err2 := os.Readlink(dst)
		return err1 == nil && err2 == nil && a == b
	case src.Mode().IsRegular():
		return got.Size() == src.Size() && got.ModTime().Equal(src.ModTime())
	case src.IsDir():
		return false // a submodule: emptied and made again
	}
	return false
}

// removeStale moves what does not belong in a workspace into a trash
// directory and deletes it in the background, as discard does.
func (s *Source) removeStale(dst string, stale []string) error {
	if len(stale) == 0 {
		return nil
	}
	// A few small files are cheaper to unlink than a trash directory
	// is to make.
	if len(stale) <= 8 {
		small := true
		for _, rel := range stale {
			fi, err := os.Lstat(filepath.Join(dst, rel))
			if err == nil && fi.IsDir() {
				small = false
				break
			}
		}
		if small {
			for _, rel := range stale {
				if err := os.Remove(filepath.Join(dst, rel)); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return err
				}
			}
			return nil
		}
	}
	trash, err := s.dir.TempDir("old-")
	if err != nil {
		return err
	}
	for i, rel := range stale {
		if err := os.Rename(filepath.Join(dst, rel), filepath.Join(trash, strconv.Itoa(i))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	s.removing.Add(1)
	go func() {
		defer s.removing.Done()
		_ = removeAll(trash) // as in discard
	}()
	return nil
}

// skip returns what a WalkDir callback returns to not descend into d.
func skip(d fs.DirEntry) error {
	if d.IsDir() {
		return filepath.SkipDir
	}
	return nil
}
