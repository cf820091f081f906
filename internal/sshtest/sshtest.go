// Package sshtest starts Debian's real OpenSSH server for tests: on
// 127.0.0.1 (or another address), on a free port, with a host key and a
// user key it generates, letting the current user in with that key only.
package sshtest

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/testenv"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// SSHD is the server binary; sshd refuses to start from a relative path.
const SSHD = "/usr/sbin/sshd"

// Server is a running sshd.
type Server struct {
	Addr string // 127.0.0.1:port, or the address of WithListenAddress
	User string // the current user, allowed in with Identity
	// KnownHosts is a known_hosts file holding the server's host key.
	KnownHosts string
	// Identity is the user's private key file (unencrypted OpenSSH form).
	Identity string
	HostKey  ssh.PublicKey
	dir      string
}

// Host returns user@address:port.
func (s *Server) Host() string { return s.User + "@" + s.Addr }

// Dial connects to the server as User with Identity, checking its host
// key against KnownHosts; the caller closes the client.
func (s *Server) Dial(t testing.TB) *ssh.Client {
	t.Helper()
	key, err := os.ReadFile(s.Identity)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	check, err := knownhosts.New(s.KnownHosts)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ssh.Dial("tcp", s.Addr, &ssh.ClientConfig{User: s.User, Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)}, HostKeyCallback: check, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// WrongKnownHosts writes a known_hosts file that pins another key for the
// server's address, as after a reinstall or during an attack.
func (s *Server) WrongKnownHosts(t testing.TB) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "known_hosts")
	writeFile(t, f, knownhosts.Line([]string{knownhosts.Normalize(s.Addr)}, k)+"\n", 0o644)
	return f
}

// Option changes how Start configures the server.
type Option func(*config)

type config struct {
	env    [][2]string // name, value
	listen string      // IPv4 address; empty: 127.0.0.1
	wrap   []string    // command line sshd runs through
}

// WithListenAddress makes sshd listen on ip (an IPv4 address) instead of
// 127.0.0.1: the address of another network namespace, say, which WithWrap
// puts it in.
func WithListenAddress(ip string) Option {
	return func(c *config) { c.listen = ip }
}

// WithWrap runs sshd through a command line that ends by executing its
// arguments (nsenter, unshare): sshd, and every session, then runs in the
// namespaces it sets up, as on another machine (see dockertest.Host.Wrap).
// The wrapper must exec sshd, so that stopping the server reaches it.
func WithWrap(argv ...string) Option {
	return func(c *config) { c.wrap = argv }
}

// WithEnv sets name=value in every session's environment (sshd's SetEnv),
// as a host's login environment would: a DOCKER_CONFIG holding a docker
// CLI plugin, say. Repeated names: the first wins, as in sshd.
func WithEnv(name, value string) Option {
	return func(c *config) { c.env = append(c.env, [2]string{name, value}) }
}

// Start starts sshd for the test and stops it at cleanup. It needs the
// sshd component (testenv.Require).
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	var c config
	for _, o := range opts {
		o(&c)
	}
	// sshd lives in /usr/sbin, which a non-root PATH may lack: the binary
	// is what counts.
	if _, err := os.Stat(SSHD); err != nil {
		testenv.Require(t, "sshd")
		t.Fatalf("sshd: %v; run scripts/setup.sh", err)
	}
	dir := t.TempDir()
	hostPub := genKey(t, filepath.Join(dir, "host_ed25519"))
	userPub := genKey(t, filepath.Join(dir, "id_ed25519"))
	writeFile(t, filepath.Join(dir, "authorized_keys"), string(ssh.MarshalAuthorizedKey(userPub)), 0o600)
	if os.Geteuid() == 0 {
		// The privilege separation directory Debian's init script makes.
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			t.Fatal(err)
		}
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	var lastErr error
	ip := c.listen
	if ip == "" {
		ip = "127.0.0.1"
	}
	for attempt := 0; attempt < 5; attempt++ {
		// Free here; in another network namespace any port is.
		port := testenv.FreePort(t)
		s := &Server{Addr: net.JoinHostPort(ip, strconv.Itoa(port)), User: u.Username,
			Identity: filepath.Join(dir, "id_ed25519"), HostKey: hostPub, dir: dir,
			KnownHosts: filepath.Join(dir, "known_hosts")}
		writeFile(t, s.KnownHosts, knownhosts.Line([]string{knownhosts.Normalize(s.Addr)}, hostPub)+"\n", 0o644)
		if lastErr = s.start(t, port, c); lastErr == nil {
			return s
		}
	}
	t.Fatalf("sshd: %v", lastErr)
	return nil
}

func (s *Server) start(t testing.TB, port int, c config) error {
	cfg := filepath.Join(s.dir, "sshd_config")
	// One SetEnv line for all: sshd takes the first SetEnv line it reads
	// and ignores the others.
	var setEnv strings.Builder
	seen := map[string]bool{}
	for _, kv := range c.env {
		// sshd_config quotes with double quotes and has no escapes.
		if strings.ContainsAny(kv[1], "\"\n") {
			t.Fatalf("sshtest: the value of %s holds a quote or a newline, which sshd_config cannot say", kv[0])
		}
		if seen[kv[0]] {
			continue
		}
		seen[kv[0]] = true
		if setEnv.Len() == 0 {
			setEnv.WriteString("SetEnv")
		}
		fmt.Fprintf(&setEnv, " \"%s=%s\"", kv[0], kv[1])
	}
	if setEnv.Len() > 0 {
		setEnv.WriteString("\n")
	}
	host, _, _ := net.SplitHostPort(s.Addr) // made by JoinHostPort in Start
	writeFile(t, cfg, setEnv.String()+fmt.Sprintf(`ListenAddress %s
Port %d
HostKey %s
PidFile %s
AuthorizedKeysFile %s
StrictModes no
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
MaxStartups 100
MaxSessions 100
LogLevel ERROR
`, host, port, filepath.Join(s.dir, "host_ed25519"), filepath.Join(s.dir, "sshd.pid"), filepath.Join(s.dir, "authorized_keys")), 0o644)
	var stderr syncBuffer
	argv := append(append([]string(nil), c.wrap...), SSHD, "-D", "-e", "-f", cfg)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stderr = &stderr
	// Sessions' sshd processes inherit stderr; do not wait on them past
	// the listener's exit.
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		select {
		case err := <-exited:
			return fmt.Errorf("exited: %v: %s", err, stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			return fmt.Errorf("not listening on %s after 10s: %s", s.Addr, stderr.String())
		}
	}
	t.Cleanup(func() {
		// The listener only: sessions still open end with their clients.
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	return nil
}

func genKey(t testing.TB, file string) ssh.PublicKey {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "gantry test")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, file, string(pem.EncodeToMemory(block)), 0o600)
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, file+".pub", string(ssh.MarshalAuthorizedKey(k)), 0o644)
	return k
}

func writeFile(t testing.TB, name, data string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(name, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
