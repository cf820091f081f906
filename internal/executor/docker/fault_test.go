package docker

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/testenv"
)

// engineProxy forwards a unix socket to the test engine; cut closes it and
// every connection through it, as an engine that stops does.
func engineProxy(t *testing.T) (host string, cut func()) {
	t.Helper()
	target := "/var/run/docker.sock"
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		if !strings.HasPrefix(h, "unix://") {
			t.Fatalf("the fault test proxies a unix socket; DOCKER_HOST is %s", h)
		}
		target = strings.TrimPrefix(h, "unix://")
	}
	sock := filepath.Join(t.TempDir(), "docker.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	closed := false
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("unix", target)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			if closed {
				// Accepted just before the cut: it must not outlive it.
				mu.Unlock()
				c.Close()
				up.Close()
				return
			}
			conns = append(conns, c, up)
			mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }() // ends with either side
			go func() { _, _ = io.Copy(c, up); c.Close() }()  // as above
		}
	}()
	var once sync.Once
	cut = func() {
		once.Do(func() {
			ln.Close()
			mu.Lock()
			defer mu.Unlock()
			closed = true
			for _, c := range conns {
				c.Close()
			}
		})
	}
	t.Cleanup(cut)
	return "unix://" + sock, cut
}

func TestEngineGoneDuringJob(t *testing.T) {
	img := testenv.Image(t, "busybox")
	direct := newBackend(t, Config{})
	host, cut := engineProxy(t)
	b := newBackend(t, Config{Host: host})
	job, _ := newJob(t, direct, img)
	ctx := context.Background()
	s, err := b.Prepare(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(time.Second, cut)
	start := time.Now()
	var out syncBuffer
	code, err := s.Run(ctx, step(s.Paths(), nil, "echo started", "sleep 30"), &out)
	took := time.Since(start)
	if err == nil {
		t.Fatalf("Run = %d, nil after the engine went away", code)
	}
	mustContain(t, "error", err.Error(), "lost the docker engine while the step ran")
	t.Logf("Run error: %v", err)
	if took > 5*time.Second {
		t.Errorf("Run took %s to notice the engine was gone", took)
	}
	_ = s.Cleanup(ctx) // fails: the engine is unreachable through the proxy
	// The step container still runs on the real engine; this process is
	// alive, so Sweep would keep it: remove it as a later run would.
	if n, err := removePipeline(ctx, direct, job.Pipeline); err != nil || n == 0 {
		t.Errorf("removing the leftover: %d, %v", n, err)
	}
}
