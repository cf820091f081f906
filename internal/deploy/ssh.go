package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gantry-ci/gantry/internal/gantryfile"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Remote runs commands on one deploy host. Implementations must be safe
// for concurrent use: health checks dial through it while commands run.
type Remote interface {
	// Run runs a POSIX shell command line on the host, wiring stdin,
	// stdout and stderr (each may be nil). A non-zero exit is an error
	// that unwraps to *ExitError. Canceling ctx ends the command.
	Run(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) error
	// DialContext opens a TCP connection from the host, for health checks
	// of endpoints bound to its loopback.
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
	Close() error
}

// Dialer connects to deploy hosts.
type Dialer interface {
	Dial(ctx context.Context, h gantryfile.Host) (Remote, error)
}

// ExitError is a remote command that exited non-zero.
type ExitError struct {
	Host   string
	Code   int
	Stderr string // last lines
}

func (e *ExitError) Error() string {
	msg := fmt.Sprintf("%s: exit status %d", e.Host, e.Code)
	if s := strings.TrimSpace(e.Stderr); s != "" {
		msg += ": " + s
	}
	return msg
}

// SSHDialer dials hosts with golang.org/x/crypto/ssh, checking host keys
// against known_hosts strictly: an unknown host or a changed key is
// refused before any command runs.
type SSHDialer struct {
	// KnownHosts files; empty means ~/.ssh/known_hosts.
	KnownHosts []string
	// Identities are private key files tried after the agent; empty means
	// ~/.ssh/id_ed25519, id_ecdsa and id_rsa, those that exist.
	Identities []string
	// DefaultUser is used for hosts without user@ (default $USER).
	DefaultUser string
	Timeout     time.Duration
}

// NewSSHDialer builds a dialer from gantry.yml's ssh section.
func NewSSHDialer(c gantryfile.SSH) *SSHDialer {
	d := &SSHDialer{Timeout: 15 * time.Second}
	if c.KnownHosts != "" {
		d.KnownHosts = []string{expandHome(c.KnownHosts)}
	}
	if c.Identity != "" {
		d.Identities = []string{expandHome(c.Identity)}
	}
	return d
}

func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[1:])
		}
	}
	return p
}

func (d *SSHDialer) config(h gantryfile.Host) (*ssh.ClientConfig, func(), error) {
	files := d.KnownHosts
	if len(files) == 0 {
		files = []string{expandHome("~/.ssh/known_hosts")}
	}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			return nil, nil, fmt.Errorf("%w: %s: known_hosts %s: %v (add the host's key: ssh-keyscan -p PORT HOST >> %s, after checking its fingerprint)", ErrHostKey, h, f, err, f)
		}
	}
	check, err := knownhosts.New(files...)
	if err != nil {
		return nil, nil, fmt.Errorf("read known_hosts: %w", err)
	}
	var (
		methods []ssh.AuthMethod
		cleanup = func() {}
	)
	if sock := os.Getenv("SSH_AUTH_SOCK"); sock != "" {
		if conn, err := net.Dial("unix", sock); err == nil {
			cleanup = func() { conn.Close() }
			methods = append(methods, ssh.PublicKeysCallback(agent.NewClient(conn).Signers))
		}
	}
	ids := d.Identities
	explicit := len(ids) > 0
	if !explicit {
		for _, n := range []string{"id_ed25519", "id_ecdsa", "id_rsa"} {
			ids = append(ids, expandHome("~/.ssh/"+n))
		}
	}
	var signers []ssh.Signer
	for _, f := range ids {
		pem, err := os.ReadFile(f)
		if err != nil {
			if explicit {
				cleanup()
				return nil, nil, fmt.Errorf("ssh identity: %w", err)
			}
			continue
		}
		s, err := ssh.ParsePrivateKey(pem)
		if err != nil {
			cleanup()
			return nil, nil, fmt.Errorf("ssh identity %s: %w (gantry needs an unencrypted key file, or the key in ssh-agent)", f, err)
		}
		signers = append(signers, s)
	}
	if len(signers) > 0 {
		methods = append(methods, ssh.PublicKeys(signers...))
	}
	user := h.User
	if user == "" {
		user = d.DefaultUser
	}
	if user == "" {
		user = os.Getenv("USER")
	}
	cfg := &ssh.ClientConfig{
		User: user,
		Auth: methods,
		HostKeyCallback: func(hostname string, remote net.Addr, key ssh.PublicKey) error {
			err := check(hostname, remote, key)
			var ke *knownhosts.KeyError
			if errors.As(err, &ke) {
				return hostKeyError(h, files, key, ke)
			}
			return err
		},
		Timeout: d.Timeout,
	}
	return cfg, cleanup, nil
}

// hostKeyError explains a known_hosts refusal and how to resolve it.
func hostKeyError(h gantryfile.Host, files []string, key ssh.PublicKey, ke *knownhosts.KeyError) error {
	fp := ssh.FingerprintSHA256(key)
	host, port, _ := net.SplitHostPort(h.Addr) // h.Addr is host:port by gantryfile.ParseHost
	if len(ke.Want) == 0 {
		return fmt.Errorf("%w: %s is not in %s (it offers %s %s); check that fingerprint with the host's admin, then: ssh-keyscan -p %s %s >> %s",
			ErrHostKey, h, strings.Join(files, ", "), key.Type(), fp, port, host, files[0])
	}
	w := ke.Want[0]
	return fmt.Errorf("%w: %s offers %s key %s but %s:%d expects %s %s; the host was reinstalled or someone is in the middle: nothing was run. If the change is expected: ssh-keygen -R %s -f %s",
		ErrHostKey, h, key.Type(), fp, w.Filename, w.Line, w.Key.Type(), ssh.FingerprintSHA256(w.Key), shellQuote(knownhosts.Normalize(h.Addr)), w.Filename)
}

// Dial connects and authenticates to h.
func (d *SSHDialer) Dial(ctx context.Context, h gantryfile.Host) (Remote, error) {
	cfg, cleanup, err := d.config(h)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	var nd net.Dialer
	conn, err := nd.DialContext(ctx, "tcp", h.Addr)
	if err != nil {
		return nil, fmt.Errorf("ssh %s: %w", h, err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	if d.Timeout > 0 {
		conn.SetDeadline(time.Now().Add(d.Timeout))
	}
	c, chans, reqs, err := ssh.NewClientConn(conn, h.Addr, cfg)
	stop()
	if err != nil {
		conn.Close()
		if errors.Is(err, ErrHostKey) {
			return nil, unwrapHandshake(err)
		}
		return nil, fmt.Errorf("ssh %s: %w", h, err)
	}
	conn.SetDeadline(time.Time{})
	return &sshRemote{host: h.String(), c: ssh.NewClient(c, chans, reqs)}, nil
}

// unwrapHandshake drops the "ssh: handshake failed:" prefix so the host key
// message reads first.
func unwrapHandshake(err error) error {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if strings.HasPrefix(e.Error(), ErrHostKey.Error()) {
			return e
		}
	}
	return err
}

type sshRemote struct {
	host string
	c    *ssh.Client
}

func (r *sshRemote) Run(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) error {
	s, err := r.c.NewSession()
	if err != nil {
		return fmt.Errorf("ssh %s: session: %w", r.host, err)
	}
	defer s.Close()
	tail := &tailBuffer{max: 4096}
	s.Stdin = stdin
	s.Stdout = stdout
	if stderr != nil {
		s.Stderr = io.MultiWriter(stderr, tail)
	} else {
		s.Stderr = tail
	}
	if err := s.Start(cmd); err != nil {
		return fmt.Errorf("ssh %s: %w", r.host, err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		// Ask the remote command to stop, then drop the channel. sshd
		// delivers the signal to the shell only: what it started may go
		// on, a compose run's container does (releaseCommands stops it).
		_ = s.Signal(ssh.SIGTERM) // best effort: old sshd refuse signals
		select {
		case <-done:
		case <-time.After(3 * time.Second):
		}
		s.Close()
		return ctx.Err()
	}
	var ee *ssh.ExitError
	if errors.As(err, &ee) {
		return &ExitError{Host: r.host, Code: ee.ExitStatus(), Stderr: tail.String()}
	}
	if err != nil {
		return fmt.Errorf("ssh %s: %w", r.host, err)
	}
	return nil
}

func (r *sshRemote) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return r.c.DialContext(ctx, network, addr)
}

func (r *sshRemote) Close() error { return r.c.Close() }

// tailBuffer keeps the last max bytes written.
type tailBuffer struct {
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return string(t.b) }

// output runs cmd and returns its stdout.
func output(ctx context.Context, r Remote, cmd string, stdin io.Reader) (string, error) {
	var out bytes.Buffer
	err := r.Run(ctx, cmd, stdin, &out, nil)
	return out.String(), err
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@=+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
