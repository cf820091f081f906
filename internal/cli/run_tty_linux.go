package cli

import (
	"syscall"
	"unsafe"
)

// isTTY reports whether fd is a terminal: /dev/null is a character device
// too, so only a terminal ioctl tells.
func isTTY(fd uintptr) bool {
	var t syscall.Termios
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TCGETS, uintptr(unsafe.Pointer(&t)))
	return errno == 0
}

// ttyWidth is the terminal's width in columns, 0 when fd is not one.
func ttyWidth(fd uintptr) int {
	var ws struct{ row, col, x, y uint16 }
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCGWINSZ, uintptr(unsafe.Pointer(&ws)))
	if errno != 0 {
		return 0
	}
	return int(ws.col)
}
