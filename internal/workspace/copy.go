package workspace

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// copyWorkers is how many files are copied at once. Copying small files is
// bound by system calls that block (open, create, close), not by the CPU,
// so several per core keep the disk busy.
func copyWorkers() int { return min(max(8, 4*runtime.GOMAXPROCS(0)), 64) }

// copyFiles copies the files named by rels (slash-separated, relative) from
// srcRoot to dstRoot, in parallel. Contents are copied, never hard-linked,
// because jobs modify their files; io.Copy between two files uses
// copy_file_range, which clones extents on file systems that can (btrfs,
// xfs) and copies in the kernel elsewhere. Modes and symlinks are kept;
// names that no longer exist (deleted but still tracked) are skipped.
func copyFiles(ctx context.Context, srcRoot, dstRoot string, rels []string) error {
	if err := makeParents(dstRoot, rels); err != nil {
		return err
	}
	umask := processUmask()
	work := make(chan string)
	errc := make(chan error, 1)
	var wg sync.WaitGroup
	for range copyWorkers() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rel := range work {
				if err := copyEntry(filepath.Join(srcRoot, rel), filepath.Join(dstRoot, rel), umask); err != nil {
					select {
					case errc <- fmt.Errorf("copy %s: %w", rel, err):
					default:
					}
				}
			}
		}()
	}
	var err error
feed:
	for _, rel := range rels {
		select {
		case work <- rel:
		case err = <-errc:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errc:
		default:
		}
	}
	return err
}

// makeParents creates every directory the files need, parents first, so
// that workers never race on creating the same directory.
func makeParents(dstRoot string, rels []string) error {
	seen := map[string]bool{}
	var dirs []string
	for _, rel := range rels {
		for d := path.Dir(rel); d != "." && !seen[d]; d = path.Dir(d) {
			seen[d] = true
			dirs = append(dirs, d)
		}
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		if err := os.Mkdir(filepath.Join(dstRoot, d), 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
	}
	return nil
}

func copyEntry(src, dst string, umask fs.FileMode) error {
	fi, err := os.Lstat(src)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	switch mode := fi.Mode(); {
	case mode&fs.ModeSymlink != 0:
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		return os.Symlink(target, dst)
	case mode.IsDir():
		// A submodule: GitLab leaves it empty unless asked to fetch it.
		if err := os.Mkdir(dst, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		return nil
	case mode.IsRegular():
		if err := copyRegular(src, dst, mode, umask); err != nil {
			return err
		}
		// The source's time, which a later refresh compares.
		return os.Chtimes(dst, time.Time{}, fi.ModTime())
	}
	return nil // sockets, fifos, devices: nothing a clone would have
}

func copyRegular(src, dst string, mode, umask fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close() // read-only
	perm := mode.Perm() | mode&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil && (perm&umask != 0 || perm != mode.Perm()) {
		err = out.Chmod(perm)
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

var umaskOnce = sync.OnceValue(readUmask)

// processUmask is the umask new files get, read once. When unknown, all
// bits are assumed masked so that every file gets an explicit chmod.
func processUmask() fs.FileMode { return umaskOnce() }

// readUmask reads the umask from /proc instead of calling umask(2), which
// can only read it by changing it for every thread for a moment.
func readUmask() fs.FileMode {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0o777
	}
	defer f.Close() // read-only
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Umask:"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32)
			if err != nil {
				return 0o777
			}
			return fs.FileMode(n)
		}
	}
	return 0o777
}

// removeAll removes path even when a job left read-only directories in it
// (Go's module cache does), which os.RemoveAll alone cannot empty.
func removeAll(p string) error {
	err := os.RemoveAll(p)
	if err == nil {
		return nil
	}
	// Make every directory writable, then try again. Walk errors are
	// ignored: the second RemoveAll reports what still cannot go.
	_ = filepath.WalkDir(p, func(q string, d fs.DirEntry, werr error) error {
		if werr == nil && d.IsDir() {
			_ = os.Chmod(q, 0o700) // see above
		}
		return nil
	})
	return os.RemoveAll(p)
}
