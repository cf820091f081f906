package dockertest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ownerFile, in a machine's directory under RunDir, records who made the
// machine and what it is made of, so that a later Start can remove it
// once its owner is gone: a test killed before its cleanup (kill -9, or
// go test's timeout panic, which runs no cleanup) leaves its namespace,
// its dockerd (which outlives its parent) and their files behind.
const ownerFile = "owner.json"

// owner is the content of ownerFile.
type owner struct {
	// PID and Start (the process's start time in clock ticks since boot,
	// /proc/PID/stat's 22nd field) name the test process; the pair is not
	// reused the way a pid alone is.
	PID   int    `json:"pid"`
	Start uint64 `json:"start"`
	// Netns and Link are the namespace's name and this machine's end of
	// the veth pair; Data is the engine's data directory.
	Netns string `json:"netns"`
	Link  string `json:"link"`
	Data  string `json:"data"`
}

// writeOwner records the calling process as the owner of the machine
// whose directory is run, before anything of the machine exists.
func writeOwner(run string, o owner) error {
	start, err := procStart(os.Getpid())
	if err != nil {
		return err
	}
	o.PID, o.Start = os.Getpid(), start
	b, err := json.Marshal(o)
	if err != nil {
		return err
	}
	// Renamed into place: a sweep never reads half a record.
	tmp := filepath.Join(run, ownerFile+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(run, ownerFile))
}

// alive tells whether the process o names still runs.
func (o owner) alive() bool {
	start, err := procStart(o.PID)
	return err == nil && start == o.Start
}

// procStart returns the start time of process pid, in clock ticks.
func procStart(pid int) (uint64, error) {
	f, err := procStat(pid, 20)
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(f[19], 10, 64)
}

// procParent returns the parent of process pid.
func procParent(pid int) (int, error) {
	f, err := procStat(pid, 2)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(f[1])
}

// procStat returns the fields of /proc/PID/stat after the command name
// (see statFields), at least n of them.
func procStat(pid, n int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	f := statFields(b)
	if len(f) < n {
		return nil, fmt.Errorf("/proc/%d/stat: unexpected %q", pid, b)
	}
	return f, nil
}

// statFields splits /proc/PID/stat after the command name, which is in
// parentheses and may hold spaces: the first is the state, field 3.
func statFields(b []byte) []string {
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(b[i+1:]))
}

// sweep removes the machines whose test process is gone: their
// processes, mounts, link, namespace and files. A machine whose owner
// runs, and anything without a record of this package's (the machine's
// own dockerd and namespaces made by others), is left alone. Problems are
// logged: leftovers of another run do not fail this one.
func sweep(ip string, logf func(format string, args ...any)) {
	if err := os.MkdirAll(RunDir, 0o755); err != nil {
		logf("dockertest: sweep: %v", err)
		return
	}
	// One sweep at a time: two tests starting at once would both remove
	// the same machine.
	lock, err := os.OpenFile(filepath.Join(RunDir, ".sweep.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		logf("dockertest: sweep: %v", err)
		return
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		logf("dockertest: sweep: lock: %v", err)
		return
	}
	entries, err := os.ReadDir(RunDir)
	if err != nil {
		logf("dockertest: sweep: %v", err)
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), "gantry-") {
			continue
		}
		run := filepath.Join(RunDir, e.Name())
		b, err := os.ReadFile(filepath.Join(run, ownerFile))
		if err != nil {
			continue // no record: not this package's to judge
		}
		var o owner
		if err := json.Unmarshal(b, &o); err != nil || o.PID <= 0 || o.Netns != e.Name() {
			logf("dockertest: sweep: %s: unreadable record %q (%v); left alone", run, b, err)
			continue
		}
		if o.alive() {
			continue
		}
		logf("dockertest: removing %s, left by process %d, which is gone", o.Netns, o.PID)
		if err := removeMachine(ip, run, o); err != nil {
			logf("dockertest: sweep: %s: %v", o.Netns, err)
		}
	}
}

// removeMachine removes what the machine of record o is made of. Each
// part goes even when another failed; the record goes last, so that a
// sweep cut short is taken up again by the next.
func removeMachine(ip, run string, o owner) error {
	var errs []error
	ns := filepath.Join("/run/netns", o.Netns)
	if st, err := os.Stat(ns); err == nil {
		errs = append(errs, stopProcesses(st.Sys().(*syscall.Stat_t), filepath.Join(run, "docker.pid")))
	}
	errs = append(errs, unmountUnder(run, o.Data))
	if _, err := os.Stat(ns); err == nil {
		errs = append(errs, deleteNetwork(ip, o.Link, o.Netns))
	} else {
		_ = exec.Command(ip, "link", "del", o.Link).Run() // gone with the namespace, or before
	}
	if o.Data != "" {
		errs = append(errs, os.RemoveAll(o.Data))
		// The test's temporary directory, when nothing else is left in it.
		_ = os.Remove(filepath.Dir(o.Data)) // not empty: kept
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return os.RemoveAll(run)
}

// deleteNetwork deletes a machine's end of the veth pair, then its
// namespace. Deleting the namespace deletes its end of the pair, and the
// pair with it, but not at once: the explicit delete leaves no window.
func deleteNetwork(ip, link, netns string) error {
	_ = exec.Command(ip, "link", "del", link).Run() // gone with the namespace, or before
	if out, err := exec.Command(ip, "netns", "del", netns).CombinedOutput(); err != nil {
		return fmt.Errorf("ip netns del %s: %v: %s", netns, err, out)
	}
	return nil
}

// stopProcesses ends the processes in the network namespace ns (its
// dockerd, that engine's containerd and shims, an sshd) and those they
// started (the containers, in namespaces of their own). The engine first
// gets the time to stop its containers and unmount what it mounted.
func stopProcesses(ns *syscall.Stat_t, pidFile string) error {
	in := func() map[int]bool {
		procs := map[int]bool{}
		parents := map[int][]int{}
		dirs, _ := os.ReadDir("/proc") // unreadable /proc: nothing found, nothing killed
		for _, d := range dirs {
			pid, err := strconv.Atoi(d.Name())
			if err != nil || pid == 1 || pid == os.Getpid() {
				continue
			}
			if ppid, err := procParent(pid); err == nil {
				parents[ppid] = append(parents[ppid], pid)
			}
			st, err := os.Stat(fmt.Sprintf("/proc/%d/ns/net", pid))
			if err != nil {
				continue
			}
			if s := st.Sys().(*syscall.Stat_t); s.Dev == ns.Dev && s.Ino == ns.Ino {
				procs[pid] = true
			}
		}
		// And their descendants, wherever they are.
		queue := make([]int, 0, len(procs))
		for p := range procs {
			queue = append(queue, p)
		}
		for len(queue) > 0 {
			p := queue[0]
			queue = queue[1:]
			for _, c := range parents[p] {
				if !procs[c] {
					procs[c] = true
					queue = append(queue, c)
				}
			}
		}
		return procs
	}
	procs := in()
	if b, err := os.ReadFile(pidFile); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && procs[pid] {
			_ = syscall.Kill(pid, syscall.SIGTERM) // it may be exiting already
			for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
				if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
					break
				}
			}
		}
	}
	for range 50 {
		procs = in()
		if len(procs) == 0 {
			return nil
		}
		for p := range procs {
			_ = syscall.Kill(p, syscall.SIGKILL) // gone already, or a zombie
		}
		time.Sleep(100 * time.Millisecond)
	}
	var left []string
	for p := range procs {
		left = append(left, strconv.Itoa(p))
	}
	sort.Strings(left)
	return fmt.Errorf("processes %s would not end", strings.Join(left, ", "))
}

// unmountUnder detaches the mounts at or under the directories, deepest
// first: those the engine left (containers' root filesystems, network
// namespaces, shm) when it could not stop cleanly.
func unmountUnder(dirs ...string) error {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	defer f.Close()
	var points []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		p := unescapeMount(fields[4])
		for _, d := range dirs {
			if d != "" && (p == d || strings.HasPrefix(p, d+"/")) {
				points = append(points, p)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	sort.Slice(points, func(i, j int) bool { return len(points[i]) > len(points[j]) })
	var errs []error
	for _, p := range points {
		if err := syscall.Unmount(p, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) {
			errs = append(errs, fmt.Errorf("umount %s: %w", p, err))
		}
	}
	return errors.Join(errs...)
}

// unescapeMount decodes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
