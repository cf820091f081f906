package dockertest_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/dockertest"
	"github.com/gantry-ci/gantry/internal/testenv"
)

// helperEnv makes TestSweepHelper a machine's owner instead of a test.
const helperEnv = "GANTRY_DOCKERTEST_HELPER"

// machine is what a helper made, as it reports it.
type machine struct {
	Name      string // the namespace
	Link      string
	Data      string
	Dockerd   int // the engine's pid
	Container int // the pid of a container's process
	cmd       *exec.Cmd
	stdin     io.Closer
}

// TestSweepHelper, run by TestSweep in a process of its own, starts a
// machine with a container running, reports it on stdout and holds it
// until its stdin closes (then cleans up as a test does) or it is killed.
func TestSweepHelper(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		return // a helper only
	}
	busybox := testenv.Image(t, "busybox")
	h := dockertest.Start(t)
	load(t, h, busybox)
	if out, err := h.Docker("run", "-d", "--name", "sleeper", busybox, "sleep", "600").CombinedOutput(); err != nil {
		t.Fatalf("docker run: %v: %s", err, out)
	}
	out, err := h.Docker("inspect", "--format", "{{.State.Pid}}", "sleeper").Output()
	if err != nil {
		t.Fatalf("docker inspect: %v", err)
	}
	m := machine{Name: h.Name}
	m.Container, _ = strconv.Atoi(strings.TrimSpace(string(out)))
	run := filepath.Join(dockertest.RunDir, h.Name)
	b, err := os.ReadFile(filepath.Join(run, "docker.pid"))
	if err != nil {
		t.Fatal(err)
	}
	m.Dockerd, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	var rec struct{ Link, Data string }
	b, err = os.ReadFile(filepath.Join(run, "owner.json"))
	if err != nil || json.Unmarshal(b, &rec) != nil {
		t.Fatalf("the owner record: %q, %v", b, err)
	}
	m.Link, m.Data = rec.Link, rec.Data
	j, _ := json.Marshal(m) // plain fields
	fmt.Printf("machine %s\n", j)
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin) // until the parent closes it
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Minute): // the parent is gone
	}
}

// startHelper starts a process of this test binary owning a machine.
func startHelper(t *testing.T) *machine {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSweepHelper$", "-test.v")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait() // killed, or ended by closing its stdin
	})
	found := make(chan *machine, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		var m *machine
		for sc.Scan() {
			if j, ok := strings.CutPrefix(sc.Text(), "machine "); ok && m == nil {
				m = &machine{}
				if err := json.Unmarshal([]byte(j), m); err != nil {
					m = nil
				}
				found <- m
			}
		}
		if m == nil {
			close(found)
		}
	}()
	select {
	case m := <-found:
		if m == nil {
			t.Fatal("the helper ended without starting its machine")
		}
		m.cmd, m.stdin = cmd, stdin
		return m
	case <-time.After(2 * time.Minute):
		t.Fatal("the helper did not start its machine within 2 minutes")
	}
	return nil
}

// A test process killed before its cleanup leaves its machine: the next
// Start removes it (processes, mounts, link, namespace, files), and
// leaves alone the machine of a process still running and the machine's
// own engine.
func TestSweep(t *testing.T) {
	testenv.Require(t, testenv.DockerNetns)
	dead, live := startHelper(t), startHelper(t)
	if err := dead.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = dead.cmd.Wait() // killed

	exists := func(m *machine) map[string]bool {
		_, ns := os.Stat(filepath.Join("/run/netns", m.Name))
		_, run := os.Stat(filepath.Join(dockertest.RunDir, m.Name))
		_, data := os.Stat(m.Data)
		ip, _ := testenv.LookPath("ip") // Require checked it
		mounts, _ := os.ReadFile("/proc/self/mountinfo")
		return map[string]bool{
			"namespace": ns == nil,
			"run dir":   run == nil,
			"data dir":  data == nil,
			"link":      exec.Command(ip, "link", "show", m.Link).Run() == nil,
			"dockerd":   syscall.Kill(m.Dockerd, 0) == nil,
			"container": syscall.Kill(m.Container, 0) == nil,
			"mounts": strings.Contains(string(mounts), " "+filepath.Join(dockertest.RunDir, m.Name)+"/") ||
				strings.Contains(string(mounts), " "+m.Data+"/"),
		}
	}
	for part, there := range exists(dead) {
		if !there {
			t.Errorf("the killed helper's %s is already gone: nothing to sweep", part)
		}
	}

	dockertest.Start(t)

	for part, there := range exists(dead) {
		if there {
			t.Errorf("the killed helper's %s is still there", part)
		}
	}
	for part, there := range exists(live) {
		if !there {
			t.Errorf("the live helper's %s was removed", part)
		}
	}
	if out, err := exec.Command("docker", "-H", "unix://"+filepath.Join(dockertest.RunDir, live.Name, "docker.sock"), "ps", "-q").Output(); err != nil || len(strings.Fields(string(out))) != 1 {
		t.Errorf("the live helper's engine: %q, %v; want its container", out, err)
	}
	if err := exec.Command("docker", "info").Run(); err != nil {
		t.Errorf("the machine's own engine: %v", err)
	}

	// The live helper, ended as a test ends, cleans up after itself.
	live.stdin.Close()
	if err := live.cmd.Wait(); err != nil {
		t.Errorf("the live helper: %v", err)
	}
	for part, there := range exists(live) {
		if there {
			t.Errorf("the live helper left its %s", part)
		}
	}
}
