// Package registrytest starts Debian's docker-registry (the distribution
// registry) for tests: on 127.0.0.1, behind TLS from a CA the test makes,
// with htpasswd authentication, and with its access log readable so that
// tests can count what was uploaded.
package registrytest

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/gantry-ci/gantry/internal/testenv"
)

// Component is the name GANTRY_TEST_REQUIRE lists to make a missing
// registry fail tests instead of skipping them.
const Component = "registry"

// Binary is the registry program Debian's docker-registry package installs.
const Binary = "docker-registry"

// Default credentials of the registry.
const (
	User     = "gantry"
	Password = "s3cret-registry-pass"
)

// Registry is a running registry.
type Registry struct {
	t       testing.TB
	dir     string
	addr    string
	config  string
	logPath string
	caPool  *x509.CertPool
	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{}
	syncN   int
}

// Start starts a registry for the test and stops it at the end. It
// requires the registry component like testenv.Require does: a missing
// docker-registry fails the test when GANTRY_TEST_REQUIRE lists
// "registry", and skips it otherwise.
func Start(t testing.TB, opts ...Option) *Registry {
	t.Helper()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	bin, err := exec.LookPath(Binary)
	if err != nil {
		if testenv.Required(Component) {
			t.Fatalf("%s is required (%s) but %s is not installed: %v; run scripts/setup.sh", Component, testenv.RequireEnv, Binary, err)
		}
		t.Skipf("%s not available (%v); set %s=%s to make this a failure", Binary, err, testenv.RequireEnv, Component)
	}
	r := &Registry{t: t, dir: t.TempDir()}
	ip := "127.0.0.1"
	if o.trusted {
		ip = hostIP(t)
	}
	r.addr = net.JoinHostPort(ip, strconv.Itoa(testenv.FreePort(t)))
	ca, err := writeTLS(r.dir, []string{ip, "127.0.0.1", "localhost"})
	if err != nil {
		t.Fatalf("registry TLS: %v", err)
	}
	if o.trusted {
		trustInDocker(t, r.addr, ca)
	}
	r.caPool = x509.NewCertPool()
	r.caPool.AppendCertsFromPEM(ca)
	hash, err := bcrypt.GenerateFromPassword([]byte(Password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.dir, "htpasswd"), []byte(User+":"+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.config = filepath.Join(r.dir, "config.yml")
	if err := os.WriteFile(r.config, []byte(r.configYAML()), 0o644); err != nil {
		t.Fatal(err)
	}
	r.logPath = filepath.Join(r.dir, "registry.log")
	r.start(bin)
	t.Cleanup(r.Stop)
	return r
}

func (r *Registry) configYAML() string {
	return fmt.Sprintf(`version: 0.1
log:
  level: info
  formatter: text
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: %[1]s/data
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %[2]s
  secret: gantry-test-secret
  tls:
    certificate: %[1]s/server.crt
    key: %[1]s/server.key
auth:
  htpasswd:
    realm: gantry-test
    path: %[1]s/htpasswd
`, r.dir, r.addr)
}

func (r *Registry) start(bin string) {
	r.t.Helper()
	logf, err := os.OpenFile(r.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		r.t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", r.config)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		r.t.Fatalf("start %s: %v", bin, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait() // a killed registry exits non-zero: expected
		logf.Close()
		close(done)
	}()
	r.mu.Lock()
	r.cmd, r.done = cmd, done
	r.mu.Unlock()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := r.get("/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusUnauthorized {
				return
			}
		}
		select {
		case <-done:
			r.t.Fatalf("docker-registry exited at start; its log:\n%s", r.Log())
		default:
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("docker-registry not answering on %s within 15 s (last: %v); its log:\n%s", r.addr, err, r.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Host is the registry's host:port, the first part of its image references.
func (r *Registry) Host() string { return r.addr }

// CAFile is the PEM file of the CA that signed the registry's certificate.
func (r *Registry) CAFile() string { return filepath.Join(r.dir, "ca.crt") }

// DockerConfig writes a docker config directory (for DOCKER_CONFIG)
// whose config.json logs in to the registry, so that docker and compose
// pull from it without touching the user's own docker config.
func (r *Registry) DockerConfig(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte(User + ":" + Password))
	cfg := fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, r.addr, auth)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Transport trusts the registry's CA (and nothing else).
func (r *Registry) Transport() *http.Transport {
	return &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: r.caPool, MinVersion: tls.VersionTLS12},
		DialContext:     (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}
}

func (r *Registry) get(path string) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+r.addr+path, nil)
	if err != nil {
		return nil, err
	}
	tr := r.Transport()
	defer tr.CloseIdleConnections()
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	// Read the (small) body before the transport closes its connections.
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body) // the status is what callers look at
	resp.Body.Close()
	resp.Body = http.NoBody
	return resp, nil
}

// Stop stops the registry (its storage stays; Restart serves it again).
func (r *Registry) Stop() {
	r.mu.Lock()
	cmd, done := r.cmd, r.done
	r.cmd = nil
	r.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill() // it may have exited already
	<-done
}

// Restart starts a stopped registry again, on the same address.
func (r *Registry) Restart() {
	r.t.Helper()
	r.Stop()
	bin, err := exec.LookPath(Binary)
	if err != nil {
		r.t.Fatal(err)
	}
	r.start(bin)
}

// Log returns the registry's log so far.
func (r *Registry) Log() string {
	b, err := os.ReadFile(r.logPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return string(b)
}

// accessLine matches a line of the access log (combined log format).
var accessLine = regexp.MustCompile(`"(GET|HEAD|POST|PUT|PATCH|DELETE) (\S+) HTTP/[0-9.]+" (\d{3}) `)

// Request is a request the registry served, from its access log.
type Request struct {
	Method, Path string
	Status       int
}

// Requests returns the requests the registry has served, in order. It
// first waits until the registry has logged every request answered so
// far, by sending one of its own and waiting to see it in the log.
func (r *Registry) Requests() []Request {
	r.t.Helper()
	r.mu.Lock()
	r.syncN++
	marker := fmt.Sprintf("/v2/?gantry-sync=%d", r.syncN)
	r.mu.Unlock()
	if _, err := r.get(marker); err != nil {
		r.t.Fatalf("registry sync request: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		var out []Request
		seen := false
		for _, m := range accessLine.FindAllStringSubmatch(r.Log(), -1) {
			if m[2] == marker {
				seen = true
				continue
			}
			status, _ := strconv.Atoi(m[3]) // three digits by the pattern
			out = append(out, Request{Method: m[1], Path: m[2], Status: status})
		}
		if seen {
			return out
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("registry did not log request %s within 5 s", marker)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// blobUpload matches the request that completes a blob upload.
var blobUpload = regexp.MustCompile(`^/v2/.+/blobs/uploads/[^?]*\?(.*&)?digest=`)

// manifestPut matches a manifest upload.
var manifestPut = regexp.MustCompile(`^/v2/.+/manifests/`)

// Counts are what the registry stored, from its access log.
type Counts struct {
	// BlobUploads counts completed blob uploads (cross-repository mounts
	// are not uploads and are not counted).
	BlobUploads int
	// ManifestPuts counts manifests stored (tags created or moved).
	ManifestPuts int
}

// Counts counts the uploads the registry completed so far.
func (r *Registry) Counts() Counts {
	r.t.Helper()
	var c Counts
	for _, q := range r.Requests() {
		if q.Status/100 != 2 {
			continue
		}
		switch {
		case q.Method == http.MethodPut && blobUpload.MatchString(q.Path):
			c.BlobUploads++
		case q.Method == http.MethodPost && blobUpload.MatchString(q.Path):
			c.BlobUploads++ // monolithic upload in one POST
		case q.Method == http.MethodPut && manifestPut.MatchString(q.Path):
			c.ManifestPuts++
		}
	}
	return c
}
