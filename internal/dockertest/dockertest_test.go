package dockertest_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/dockertest"
	"github.com/gantry-ci/gantry/internal/testenv"
)

// The second machine's engine is not the first: its containers and
// images are its own, a port it publishes on 127.0.0.1 answers in its
// namespace only, a program wrapped with binds sees other files, and a
// route made unreachable is so from the machine only.
func TestHost(t *testing.T) {
	busybox := testenv.Image(t, "busybox")
	h := dockertest.Start(t)

	// The test image, from the first engine: the second has none.
	if err := h.Docker("image", "inspect", busybox).Run(); err == nil {
		t.Fatalf("the second engine already has %s: it shares the first one's images", busybox)
	}
	load(t, h, busybox)

	port := strconv.Itoa(testenv.FreePort(t))
	name := "dockertest-" + port
	if out, err := h.Docker("run", "-d", "--name", name, "-p", "127.0.0.1:"+port+":80", busybox,
		"sh", "-c", "mkdir -p /w && echo second > /w/index.html && exec httpd -f -p 80 -h /w").CombinedOutput(); err != nil {
		t.Fatalf("docker run: %v: %s", err, out)
	}
	if err := exec.Command("docker", "inspect", name).Run(); err == nil {
		t.Error("the first engine sees the second's container")
	}

	t.Run("published port answers in the namespace only", func(t *testing.T) {
		probe := `exec 3<>/dev/tcp/127.0.0.1/` + port + ` && printf 'GET / HTTP/1.0\r\n\r\n' >&3 && cat <&3`
		var (
			out []byte
			err error
		)
		deadline := time.Now().Add(10 * time.Second)
		for {
			argv := h.Wrap([]string{"bash", "-c", probe})
			out, err = exec.Command(argv[0], argv[1:]...).CombinedOutput()
			if err == nil && strings.Contains(string(out), "second") || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if !strings.Contains(string(out), "second") {
			t.Errorf("in the namespace, 127.0.0.1:%s answered %q (%v)", port, out, err)
		}
		if c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second); err == nil {
			c.Close()
			t.Errorf("127.0.0.1:%s answers outside the namespace", port)
		}
	})

	t.Run("binds show other files", func(t *testing.T) {
		here, there := t.TempDir(), t.TempDir()
		if err := os.WriteFile(filepath.Join(there, "f"), []byte("there"), 0o644); err != nil {
			t.Fatal(err)
		}
		argv := h.Wrap([]string{"cat", filepath.Join(here, "f")}, dockertest.Bind{Source: there, Target: here})
		out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
		if err != nil || string(out) != "there" {
			t.Errorf("cat through the bind: %q, %v", out, err)
		}
		if _, err := os.Stat(filepath.Join(here, "f")); !os.IsNotExist(err) {
			t.Errorf("the bind leaked out of the mount namespace: %v", err)
		}
	})

	t.Run("unreachable from the namespace only", func(t *testing.T) {
		l, err := net.Listen("tcp", h.Gateway+":0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		_, lport, _ := net.SplitHostPort(l.Addr().String())
		connect := func() error {
			argv := h.Wrap([]string{"bash", "-c", "exec 3<>/dev/tcp/" + h.Gateway + "/" + lport})
			return exec.Command(argv[0], argv[1:]...).Run()
		}
		if err := connect(); err != nil {
			t.Fatalf("before: %v", err)
		}
		restore := h.Unreachable(h.Gateway)
		if err := connect(); err == nil {
			t.Error("connected through an unreachable route")
		}
		restore()
		if err := connect(); err != nil {
			t.Errorf("after restoring: %v", err)
		}
	})
}

// load copies image from the first engine to h's.
func load(t testing.TB, h *dockertest.Host, image string) {
	t.Helper()
	save := exec.Command("docker", "save", image)
	load := h.Docker("load", "-q")
	pipe, err := save.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	load.Stdin = pipe
	if err := save.Start(); err != nil {
		t.Fatal(err)
	}
	if out, err := load.CombinedOutput(); err != nil {
		t.Fatalf("docker load: %v: %s", err, out)
	}
	if err := save.Wait(); err != nil {
		t.Fatalf("docker save: %v", err)
	}
}
