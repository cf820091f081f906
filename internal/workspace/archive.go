package workspace

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"
)

// Artifacts and caches are stored as uncompressed tar files. A single file
// can be written to a temporary name and renamed into place, so a reader
// never sees half a cache even when two jobs save the same key at once; it
// is also the form a future runner will send over the network. Not
// compressed: the disk is local, and compressing would cost more time than
// it saves. Not zip: tar streams, zip needs its directory at the end.

// writeArchive writes the entries (slash-separated paths relative to root,
// sorted so that directories come before their contents) to w. Symlinks
// are stored as symlinks, never followed; reading goes through root, so an
// entry whose parent is a symlink leading out of the workspace is refused.
func writeArchive(w io.Writer, root *os.Root, entries []string) error {
	tw := tar.NewWriter(w)
	for _, name := range entries {
		fi, err := root.Lstat(name)
		if err != nil {
			return fmt.Errorf("archive %s: %w", name, err)
		}
		hdr := &tar.Header{
			Name:    name,
			Mode:    tarMode(fi.Mode()),
			ModTime: fi.ModTime().Truncate(time.Second),
			Format:  tar.FormatPAX,
		}
		var body *os.File
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			hdr.Typeflag = tar.TypeSymlink
			if hdr.Linkname, err = root.Readlink(name); err != nil {
				return fmt.Errorf("archive %s: %w", name, err)
			}
		case fi.IsDir():
			hdr.Typeflag = tar.TypeDir
			hdr.Name += "/"
		case fi.Mode().IsRegular():
			hdr.Typeflag = tar.TypeReg
			if body, err = root.Open(name); err != nil {
				return fmt.Errorf("archive %s: %w", name, err)
			}
			// Size from the open file: it may have changed since Lstat.
			st, err := body.Stat()
			if err != nil {
				body.Close() // read-only
				return fmt.Errorf("archive %s: %w", name, err)
			}
			hdr.Size = st.Size()
		default:
			continue // sockets, fifos, devices
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("archive %s: %w", name, err)
		}
		if body != nil {
			_, err := io.CopyN(tw, body, hdr.Size)
			body.Close() // read-only
			if err != nil {
				return fmt.Errorf("archive %s: %w", name, err)
			}
		}
	}
	return tw.Close()
}

// The special mode bits have other values in tar than in fs.FileMode.
var specialBits = []struct {
	tar int64
	fs  fs.FileMode
}{{0o4000, fs.ModeSetuid}, {0o2000, fs.ModeSetgid}, {0o1000, fs.ModeSticky}}

func tarMode(m fs.FileMode) int64 {
	out := int64(m.Perm())
	for _, b := range specialBits {
		if m&b.fs != 0 {
			out |= b.tar
		}
	}
	return out
}

func fileMode(m int64) fs.FileMode {
	out := fs.FileMode(m).Perm()
	for _, b := range specialBits {
		if m&b.tar != 0 {
			out |= b.fs
		}
	}
	return out
}

// ErrUnsafePath is returned for an archive entry that would land outside
// the directory it is extracted into.
var ErrUnsafePath = errors.New("unsafe path in archive")

// safeName cleans an archive entry's name, refusing absolute names and
// names that climb out with "..".
func safeName(name string) (string, error) {
	if name == "" || strings.ContainsRune(name, 0) || strings.HasPrefix(name, "/") {
		return "", fmt.Errorf("%w: %q", ErrUnsafePath, name)
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", fmt.Errorf("%w: %q", ErrUnsafePath, name)
		}
	}
	clean := path.Clean(name)
	if clean == "." {
		return "", nil
	}
	return clean, nil
}

// extractArchive unpacks a tar stream into dst and returns how many entries
// it wrote. Every write goes through an os.Root on dst: a symlink in the
// archive or already in dst can point anywhere, but following it to write
// outside dst fails. Existing files are replaced, as GitLab does when it
// restores artifacts over a workspace.
func extractArchive(r io.Reader, dst string) (int, error) {
	root, err := os.OpenRoot(dst)
	if err != nil {
		return 0, err
	}
	defer root.Close() // directory handle only
	type dirMeta struct {
		name  string
		mode  fs.FileMode
		mtime time.Time
	}
	var dirs []dirMeta
	n := 0
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return n, fmt.Errorf("read archive: %w", err)
		}
		name, err := safeName(hdr.Name)
		if err != nil {
			return n, err
		}
		if isSparse(hdr) {
			// Never written by gantry; a few bytes of sparse map could
			// expand to terabytes of zeros.
			return n, fmt.Errorf("extract %s: sparse files are not supported", name)
		}
		if name == "" {
			continue
		}
		mode := fileMode(hdr.Mode)
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := makeDir(root, name); err != nil {
				return n, fmt.Errorf("extract %s: %w", name, err)
			}
			dirs = append(dirs, dirMeta{name, mode, hdr.ModTime})
		case tar.TypeReg:
			if err := replaceWith(root, name, func() error {
				f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
				if err != nil {
					return err
				}
				_, err = io.Copy(f, tr)
				if err == nil {
					err = f.Chmod(mode)
				}
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err == nil {
					err = root.Chtimes(name, hdr.ModTime, hdr.ModTime)
				}
				return err
			}); err != nil {
				return n, fmt.Errorf("extract %s: %w", name, err)
			}
		case tar.TypeSymlink:
			if err := replaceWith(root, name, func() error { return root.Symlink(hdr.Linkname, name) }); err != nil {
				return n, fmt.Errorf("extract %s: %w", name, err)
			}
		default:
			continue // hard links, devices, fifos: never written by gantry
		}
		n++
	}
	// Modes last, deepest first, so that a read-only directory does not
	// stop its own contents from being written.
	for i := len(dirs) - 1; i >= 0; i-- {
		d := dirs[i]
		if err := root.Chmod(d.name, d.mode); err != nil {
			return n, fmt.Errorf("extract %s: %w", d.name, err)
		}
		if err := root.Chtimes(d.name, d.mtime, d.mtime); err != nil {
			return n, fmt.Errorf("extract %s: %w", d.name, err)
		}
	}
	return n, nil
}

func isSparse(hdr *tar.Header) bool {
	if hdr.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// makeDir makes name a directory, replacing a file or symlink there.
func makeDir(root *os.Root, name string) error {
	if fi, err := root.Lstat(name); err == nil {
		if fi.IsDir() {
			return nil
		}
		if err := root.Remove(name); err != nil {
			return err
		}
	}
	return root.MkdirAll(name, 0o755)
}

// replaceWith removes whatever is at name (a symlink is removed, not
// followed) and calls create.
func replaceWith(root *os.Root, name string, create func() error) error {
	if dir := path.Dir(name); dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	if fi, err := root.Lstat(name); err == nil {
		rm := root.Remove
		if fi.IsDir() {
			rm = root.RemoveAll
		}
		if err := rm(name); err != nil {
			return err
		}
	}
	return create()
}
