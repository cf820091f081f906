// Package testenv tells tests whether the real components they need (a
// Docker engine, git, sshd...) are on this machine, and builds the test
// images under testdata/images.
//
// A test that needs a component calls Require. When the component is
// missing, the test fails if GANTRY_TEST_REQUIRE lists it (CI sets that
// list, so nothing is skipped silently there) and is skipped otherwise, so
// that `go test ./...` on a laptop without Docker still runs the rest.
package testenv

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// RequireEnv is the environment variable listing, comma-separated, the
// components whose absence fails a test instead of skipping it.
const RequireEnv = "GANTRY_TEST_REQUIRE"

// probes check components that are more than a program on PATH. Any other
// name is looked up on PATH.
var probes = map[string]func() error{
	"docker": pingDocker,
}

var (
	probeMu   sync.Mutex
	probeDone = map[string]error{}
)

// Require stops the test unless component is present: it fails when
// GANTRY_TEST_REQUIRE lists the component and skips otherwise.
func Require(t testing.TB, component string) {
	t.Helper()
	err := check(component)
	if err == nil {
		return
	}
	if Required(component) {
		t.Fatalf("%s is required (%s=%s) but not available: %v; run scripts/setup.sh",
			component, RequireEnv, os.Getenv(RequireEnv), err)
		return
	}
	t.Skipf("%s not available (%v); set %s=%s to make this a failure", component, err, RequireEnv, component)
}

// Required reports whether GANTRY_TEST_REQUIRE lists component.
func Required(component string) bool {
	return slices.Contains(strings.Split(os.Getenv(RequireEnv), ","), component)
}

// check probes a component once per process.
func check(component string) error {
	probeMu.Lock()
	defer probeMu.Unlock()
	if err, ok := probeDone[component]; ok {
		return err
	}
	var err error
	if p, ok := probes[component]; ok {
		err = p()
	} else {
		_, err = exec.LookPath(component)
	}
	probeDone[component] = err
	return err
}

// pingDocker asks the engine at DOCKER_HOST (default the local socket) for
// /_ping.
func pingDocker() error {
	host := os.Getenv("DOCKER_HOST")
	if host == "" {
		host = "unix:///var/run/docker.sock"
	}
	return PingDocker(host)
}

// PingDocker asks the engine at host, a DOCKER_HOST address (unix:// or
// tcp://), for /_ping, without the Docker SDK so that this package stays
// light.
func PingDocker(host string) error {
	u, err := url.Parse(host)
	if err != nil {
		return fmt.Errorf("DOCKER_HOST %q: %w", host, err)
	}
	tr := &http.Transport{}
	base := "http://" + u.Host
	switch u.Scheme {
	case "unix":
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", u.Path)
		}
		base = "http://docker"
	case "tcp", "http":
	default:
		return fmt.Errorf("DOCKER_HOST %q: scheme %s not supported by the test probe", host, u.Scheme)
	}
	c := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	defer tr.CloseIdleConnections()
	resp, err := c.Get(base + "/_ping")
	if err != nil {
		return fmt.Errorf("docker engine at %s: %w", host, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("docker engine at %s: /_ping: %s", host, resp.Status)
	}
	return nil
}

// FreePort asks the kernel for a TCP port free on 127.0.0.1 now, for a
// server a test starts next.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
