package registrytest

import (
	"net"
	"os"
	"path/filepath"
	"testing"
)

// DockerCertsDir is where dockerd looks for the CA of a registry
// (<dir>/<host:port>/ca.crt), read at each pull and push.
const DockerCertsDir = "/etc/docker/certs.d"

// Option configures Start.
type Option func(*options)

type options struct {
	trusted bool
}

// TrustedByDocker makes a registry that dockerd talks to as to a remote
// one: over TLS it verifies, with no plain-HTTP fallback. The registry
// listens on the host's first non-loopback address instead of 127.0.0.1,
// which dockerd treats as an insecure registry (it then retries a refused
// anonymous pull over HTTP and reports that failure instead of the
// refusal), and its CA is installed as DockerCertsDir/<host:port>/ca.crt
// for the test's duration. It needs write access to DockerCertsDir.
func TrustedByDocker() Option {
	return func(o *options) { o.trusted = true }
}

// hostIP is the host's first non-loopback IPv4 address.
func hostIP(t testing.TB) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatalf("registry address: %v", err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && n.IP.IsGlobalUnicast() && !n.IP.IsLoopback() {
			return n.IP.String()
		}
	}
	t.Fatalf("registry address: this host has no non-loopback IPv4 address for a registry dockerd must verify")
	return ""
}

// trustInDocker installs ca as the CA dockerd checks addr's certificate
// against, until the test ends.
func trustInDocker(t testing.TB, addr string, ca []byte) {
	t.Helper()
	dir := filepath.Join(DockerCertsDir, addr)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("trust the test registry's CA in dockerd: %v (hint: run the tests as root, or give write access to %s)", err, DockerCertsDir)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("remove the test registry's CA from dockerd: %v", err)
		}
	})
	if err := os.WriteFile(filepath.Join(dir, "ca.crt"), ca, 0o644); err != nil {
		t.Fatalf("trust the test registry's CA in dockerd: %v", err)
	}
}
