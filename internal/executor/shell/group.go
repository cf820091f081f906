package shell

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
	"time"
)

// terminate sends SIGTERM to the group, then SIGKILL after grace, and
// returns once the script's shell has exited.
func terminate(pgid int, grace time.Duration, exited <-chan error) error {
	_ = syscall.Kill(-pgid, syscall.SIGTERM) // ESRCH: already gone, fine
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case err := <-exited:
		return err
	case <-t.C:
		_ = syscall.Kill(-pgid, syscall.SIGKILL) // as above
		return <-exited
	}
}

// killGroup stops what is left of the group: SIGTERM, then SIGKILL once
// grace has passed, returning as soon as no live process is left in it.
func killGroup(pgid int, grace time.Duration) {
	if !groupAlive(pgid) {
		return
	}
	_ = syscall.Kill(-pgid, syscall.SIGTERM) // ESRCH if it just emptied
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		if !groupAlive(pgid) {
			return
		}
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL) // as above
	for i := 0; i < 200 && groupAlive(pgid); i++ {
		time.Sleep(5 * time.Millisecond)
	}
}

// groupAlive reports whether a process other than a zombie is in the group.
// Orphans whose parent is gone are reaped by PID 1, which in a container may
// be slow or never do it: a zombie holds nothing and must not make us wait.
func groupAlive(pgid int) bool {
	if syscall.Kill(-pgid, 0) != nil {
		return false
	}
	d, err := os.Open("/proc")
	if err != nil {
		return true // no procfs: trust kill
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return true
	}
	want := []byte(strconv.Itoa(pgid))
	for _, n := range names {
		if n[0] < '0' || n[0] > '9' {
			continue
		}
		b, err := os.ReadFile("/proc/" + n + "/stat")
		if err != nil {
			continue // exited meanwhile
		}
		// Fields after the ")" closing the command name: state ppid pgrp.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := bytes.Fields(b[i+1:])
		if len(f) >= 3 && bytes.Equal(f[2], want) && string(f[0]) != "Z" {
			return true
		}
	}
	return false
}
