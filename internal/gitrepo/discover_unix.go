//go:build unix

package gitrepo

import (
	"os"
	"syscall"
)

// ownedBy reports whether path belongs to uid, as git requires of a
// repository it is not told to trust (safe.directory).
func ownedBy(path string, uid int) bool {
	fi, err := os.Lstat(path)
	if err != nil {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == uid
}

// deviceOf is the file system a file lives on.
func deviceOf(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev)
	}
	return 0
}
