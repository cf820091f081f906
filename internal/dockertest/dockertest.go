// Package dockertest starts a second machine for tests on this one: a
// network namespace of its own, joined to this machine's by a veth pair,
// with a dockerd of its own running inside it. Its containers, images,
// networks and published ports are its own: 127.0.0.1:8080 there is not
// 127.0.0.1:8080 here, so two deploy hosts can publish the same port, and
// a route in the namespace can make a server unreachable from it alone.
//
// The engine shares this machine's filesystem (its socket is a path under
// /run/gantry-test) and /etc/docker/certs.d, so a registry trusted with
// registrytest.TrustedByDocker is trusted by both engines; the registry
// must listen on an address the namespace can route to, which that option
// does (the host's own address; 127.0.0.1 inside the namespace is its own).
//
// Programs run "on" the machine through Wrap: in its network namespace
// and, with binds, a mount namespace of their own in which some
// directories show others, so that its files are its own too.
package dockertest

import (
	"crypto/rand"
	"encoding/hex"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/testenv"
)

// RunDir holds the engines' sockets and run-time state.
const RunDir = "/run/gantry-test"

// Host is a running second machine.
type Host struct {
	// Name names the network namespace (ip netns) and the engine's files.
	Name string
	// Netns is the namespace's file, for nsenter --net.
	Netns string
	// Addr is the machine's IPv4 address on its link to this one.
	Addr string
	// Gateway is this machine's address on the link.
	Gateway string
	// DockerHost is the engine's address for DOCKER_HOST.
	DockerHost string
	t          testing.TB
	link       string // this machine's end of the veth pair
}

// Start creates the machine and starts its engine; both are removed at
// the end of the test. First it removes what machines of test processes
// that are gone left behind (killed before their cleanup ran), never one
// of a live process. It requires testenv.DockerNetns.
func Start(t testing.TB) *Host {
	t.Helper()
	testenv.Require(t, testenv.DockerNetns)
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux
	id := hex.EncodeToString(b[:])
	h := &Host{Name: "gantry-" + id, t: t, link: "gt" + id + "a"}
	h.Netns = "/run/netns/" + h.Name
	sweep(h.prog("ip"), t.Logf)
	// Made before the engine's cleanup is registered, so removed after it.
	data := t.TempDir()
	h.record(data)
	h.network(id)
	h.startEngine(data)
	return h
}

// record makes the machine's directory under RunDir and records this
// process as its owner there, before anything else of it exists, so that
// a later Start removes whatever of it a killed test leaves (see sweep).
// The directory goes last, once everything else went.
func (h *Host) record(data string) {
	h.t.Helper()
	run := filepath.Join(RunDir, h.Name)
	if err := os.MkdirAll(run, 0o700); err != nil {
		h.t.Fatalf("dockertest: %v", err)
	}
	h.t.Cleanup(func() {
		if err := os.RemoveAll(run); err != nil {
			h.t.Errorf("dockertest: %v", err)
		}
	})
	if err := writeOwner(run, owner{Netns: h.Name, Link: h.link, Data: data}); err != nil {
		h.t.Fatalf("dockertest: record the owner: %v", err)
	}
}

// network makes the namespace and its link to this machine: a /30 of
// 10.213.0.0/16 that no local address is in, the namespace's default
// route through this machine.
func (h *Host) network(id string) {
	h.t.Helper()
	gw, addr := freeLink(h.t)
	h.Gateway, h.Addr = gw.String(), addr.String()
	peer := "gt" + id + "b"
	h.ip("netns", "add", h.Name)
	h.t.Cleanup(func() {
		if err := deleteNetwork(h.prog("ip"), h.link, h.Name); err != nil {
			h.t.Errorf("dockertest: %v", err)
		}
	})
	h.ip("link", "add", h.link, "type", "veth", "peer", "name", peer)
	h.ip("link", "set", peer, "netns", h.Name)
	h.ip("addr", "add", h.Gateway+"/30", "dev", h.link)
	h.ip("link", "set", h.link, "up")
	h.ip("-n", h.Name, "addr", "add", h.Addr+"/30", "dev", peer)
	h.ip("-n", h.Name, "link", "set", peer, "up")
	h.ip("-n", h.Name, "link", "set", "lo", "up")
	h.ip("-n", h.Name, "route", "add", "default", "via", h.Gateway)
}

var linkMu sync.Mutex

// freeLink picks a /30 for a new link: its first address for this
// machine, its second for the namespace.
func freeLink(t testing.TB) (gw, addr net.IP) {
	t.Helper()
	linkMu.Lock()
	defer linkMu.Unlock()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatalf("dockertest: %v", err)
	}
	for range 100 {
		n, err := rand.Int(rand.Reader, big.NewInt(1<<14))
		if err != nil {
			t.Fatalf("dockertest: %v", err)
		}
		i := int(n.Int64()) * 4
		base := net.IPv4(10, 213, byte(i>>8), byte(i))
		block := &net.IPNet{IP: base, Mask: net.CIDRMask(30, 32)}
		used := false
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && (block.Contains(n.IP) || n.Contains(base)) {
				used = true
			}
		}
		if !used {
			return net.IPv4(10, 213, byte(i>>8), byte(i+1)), net.IPv4(10, 213, byte(i>>8), byte(i+2))
		}
	}
	t.Fatal("dockertest: no free /30 in 10.213.0.0/16")
	return nil, nil
}

// startEngine starts dockerd in the namespace with its state in data
// and stops it, its containers first, at the end of the test.
func (h *Host) startEngine(data string) {
	h.t.Helper()
	run := filepath.Join(RunDir, h.Name)
	sock := filepath.Join(run, "docker.sock")
	h.DockerHost = "unix://" + sock
	// An empty configuration: the machine's daemon.json (hosts, a data
	// root, a bridge) is the first engine's.
	conf := filepath.Join(data, "daemon.json")
	if err := os.WriteFile(conf, []byte("{}\n"), 0o644); err != nil {
		h.t.Fatal(err)
	}
	logPath := filepath.Join(data, "dockerd.log")
	logf, err := os.Create(logPath)
	if err != nil {
		h.t.Fatal(err)
	}
	// nsenter enters the network namespace only: `ip netns exec` would also
	// remount /sys, hiding the cgroup mounts dockerd needs ("Devices cgroup
	// isn't mounted"). In its own namespace the engine's bridge, iptables
	// rules and proxies fight nothing of the first engine's; it starts
	// its own containerd under its exec root.
	cmd := exec.Command(h.prog("nsenter"), "--net="+h.Netns, h.prog("dockerd"),
		"--config-file", conf,
		"-H", h.DockerHost,
		"--data-root", filepath.Join(data, "root"),
		"--exec-root", filepath.Join(run, "x"),
		"--pidfile", filepath.Join(run, "docker.pid"),
		"--shutdown-timeout", "3")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		h.t.Fatalf("dockertest: start dockerd: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait() // a stopped engine may exit non-zero
		logf.Close()
		close(exited)
	}()
	h.t.Cleanup(func() {
		h.removeContainers()
		_ = cmd.Process.Signal(os.Interrupt) // it may have exited already
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill() // stuck: the namespace must go anyway
			<-exited
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := testenv.PingDocker(h.DockerHost)
		if err == nil {
			return
		}
		select {
		case <-exited:
			h.t.Fatalf("dockertest: dockerd exited at start; its log:\n%s", tail(logPath))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("dockertest: dockerd not answering on %s within 60 s (%v); its log:\n%s", sock, err, tail(logPath))
		}
	}
}

// removeContainers removes every container of the engine, so that none
// outlives it in a shim.
func (h *Host) removeContainers() {
	out, err := h.Docker("ps", "-aq").Output()
	if err != nil {
		h.t.Logf("dockertest: docker ps: %v", err)
		return
	}
	if ids := strings.Fields(string(out)); len(ids) > 0 {
		if out, err := h.Docker(append([]string{"rm", "-f"}, ids...)...).CombinedOutput(); err != nil {
			h.t.Logf("dockertest: docker rm: %v: %s", err, out)
		}
	}
}

func tail(file string) string {
	b, err := os.ReadFile(file)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}

// Docker returns the docker CLI talking to the machine's engine.
func (h *Host) Docker(args ...string) *exec.Cmd {
	cmd := exec.Command("docker", args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+h.DockerHost)
	return cmd
}

// Bind shows the directory Source at Target in a mount namespace.
type Bind struct{ Source, Target string }

// Wrap returns the command line running argv on the machine: in its
// network namespace and, with binds, in a mount namespace of its own
// where each Target shows its Source (mounts made later elsewhere still
// reach it). The last process is argv's, under its pid: signals reach it.
// With no argv it is a prefix, for sshtest.WithWrap say.
func (h *Host) Wrap(argv []string, binds ...Bind) []string {
	inNet := append([]string{h.prog("nsenter"), "--net=" + h.Netns}, argv...)
	if len(binds) == 0 {
		return inNet
	}
	script := `set -e; while [ "$1" != -- ]; do mount --bind "$1" "$2"; shift 2; done; shift; exec "$@"`
	out := []string{h.prog("unshare"), "--mount", "--propagation", "slave", "--", "sh", "-c", script, "sh"}
	for _, b := range binds {
		out = append(out, b.Source, b.Target)
	}
	return append(append(out, "--"), inNet...)
}

// Unreachable makes ip unreachable from the machine (connections fail at
// once: no route to host) until the returned function, also called at
// the end of the test, restores it.
func (h *Host) Unreachable(ip string) (restore func()) {
	h.t.Helper()
	h.ip("-n", h.Name, "route", "add", "unreachable", ip+"/32")
	var once sync.Once
	restore = func() {
		once.Do(func() {
			if out, err := exec.Command(h.prog("ip"), "-n", h.Name, "route", "del", "unreachable", ip+"/32").CombinedOutput(); err != nil {
				h.t.Errorf("dockertest: restore the route to %s: %v: %s", ip, err, out)
			}
		})
	}
	h.t.Cleanup(restore)
	return restore
}

func (h *Host) ip(args ...string) {
	h.t.Helper()
	if out, err := exec.Command(h.prog("ip"), args...).CombinedOutput(); err != nil {
		h.t.Fatalf("dockertest: ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// prog finds a program testenv.DockerNetns checked.
func (h *Host) prog(name string) string {
	p, err := testenv.LookPath(name)
	if err != nil {
		h.t.Fatalf("dockertest: %v", err)
	}
	return p
}
