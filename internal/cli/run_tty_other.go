//go:build !linux

package cli

import "os"

// isTTY reports whether fd is a character device, the best guess without
// a terminal ioctl.
func isTTY(fd uintptr) bool {
	fi, err := os.NewFile(fd, "").Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0 && fi.Name() != "null"
}

// ttyWidth is unknown here: the board assumes 80 columns.
func ttyWidth(fd uintptr) int { return 0 }
