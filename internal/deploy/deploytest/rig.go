// Package deploytest sets up a deploy environment for tests: a registry
// holding the test app's images (testdata/deploy), Debian's sshd on
// 127.0.0.1 as the deploy host whose compose talks to the local dockerd
// (and, with WithSecondHost, a second host on a machine of its own), a
// copy of testdata/deploy as the repository, and local webhook and SMTP
// receivers for notifications.
package deploytest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/deploy"
	"github.com/gantry-ci/gantry/internal/gantryfile"
	"github.com/gantry-ci/gantry/internal/image"
	"github.com/gantry-ci/gantry/internal/registrytest"
	"github.com/gantry-ci/gantry/internal/sshtest"
	"github.com/gantry-ci/gantry/internal/testenv"
)

// Rig is one deploy environment for a test. Its Vars are what
// testdata/deploy/gantry.yml expects (DEPLOY_HOST, DEPLOY_PATH, REGISTRY,
// WEB_PORT) plus DOCKER_CONFIG, a docker config directory holding the
// registry credentials. The host's compose pulls with them either through
// that variable, which Config sets in the environment's variables, or as
// its user's own login (see WithDockerConfigVariable).
type Rig struct {
	t       *testing.T
	Reg     *registrytest.Registry
	SSHD    *sshtest.Server
	Repo    string // the repository: gantry.yml, compose file, env file
	HostDir string // the app's directory on the host
	Project string
	WebPort string
	Vars    map[string]string
	RegOpts []image.Option
	Hooks   *HookReceiver     // the webhook notifications receive
	Mail    *SMTPReceiver     // the email notifications receive
	Digests map[string]string // tag -> digest pushed
	// Compose is the compose the host has, as the deployer runs it.
	Compose Compose
	// Hosts are the environment's hosts, the primary (SSHD, HostDir)
	// first; a second one with WithSecondHost.
	Hosts  []*Host
	second bool
	// dockerConfigVar: the environment's variables set DOCKER_CONFIG.
	dockerConfigVar bool
	testdata        string
}

// Compose is a compose the deploy host offers, named as the deployer
// runs it.
type Compose string

const (
	// ComposeV1 is Debian's docker-compose 1.29 (Python), the only compose
	// Debian bookworm packages: the host has no `docker compose`.
	ComposeV1 Compose = "docker-compose"
	// ComposeV2 is Compose v2 as a docker CLI plugin, what most servers
	// run: the SSH session's DOCKER_CONFIG is a directory of the rig's
	// whose cli-plugins links to testenv.ComposeV2Plugin, as a per-user
	// install's ~/.docker is, and which holds the user's registry login
	// unless WithDockerConfigVariable.
	ComposeV2 Compose = "docker compose"
)

// Option changes the rig New sets up.
type Option func(*Rig)

// WithCompose makes the host offer c (ComposeV1 without the option).
func WithCompose(c Compose) Option {
	return func(r *Rig) { r.Compose = c }
}

// WithDockerConfigVariable makes the compose commands pull with the
// registry credentials through DOCKER_CONFIG in the environment's
// variables, as ComposeV1 always does, instead of the host user's login.
// With ComposeV2 that DOCKER_CONFIG holds no cli-plugins: the docker CLI
// does not find the per-user plugin through it.
func WithDockerConfigVariable() Option {
	return func(r *Rig) { r.dockerConfigVar = true }
}

// appVariants are the test app's builds: tag -> (version, failure).
var appVariants = map[string][2]string{
	"v1": {"v1", ""},
	"v2": {"v2", ""},
	"v3": {"v3", "health"},
	"v4": {"v4", "migrate"},
}

var (
	buildMu    sync.Mutex
	builtLocal = map[string]bool{}
)

// localApp builds the app variant reporting version as
// gantry-demo-test:<version> once per run.
func localApp(t *testing.T, version, fail string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	ref := "gantry-demo-test:" + version
	if builtLocal[ref] {
		return ref
	}
	root, err := testenv.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", filepath.Join(root, "testdata", "deploy", "build.sh"), ref, version, fail)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", ref, err, out)
	}
	builtLocal[ref] = true
	return ref
}

// New sets up a rig for the test, torn down at its end. It requires
// docker, sshd, the registry and the compose the options pick.
func New(t *testing.T, opts ...Option) *Rig {
	t.Helper()
	testenv.Image(t, "busybox")
	r := &Rig{t: t, Digests: map[string]string{}, Compose: ComposeV1}
	for _, o := range opts {
		o(r)
	}
	r.dockerConfigVar = r.dockerConfigVar || r.Compose == ComposeV1
	component := "docker-compose"
	switch r.Compose {
	case ComposeV1:
	case ComposeV2:
		component = testenv.ComposeV2
	default:
		t.Fatalf("deploytest: no compose %q", r.Compose)
	}
	testenv.Require(t, component)
	var regOpts []registrytest.Option
	if r.second {
		// On an address the second machine routes to, trusted by both
		// engines: 127.0.0.1 there is the machine's own.
		regOpts = append(regOpts, registrytest.TrustedByDocker())
	}
	r.Reg = registrytest.Start(t, regOpts...)
	creds := r.Reg.DockerConfig(t)
	var sshOpts []sshtest.Option
	if r.Compose == ComposeV2 {
		sshOpts = append(sshOpts, sshtest.WithEnv("DOCKER_CONFIG", r.userDockerConfig(creds)))
	}
	r.SSHD = sshtest.Start(t, sshOpts...)
	hostBase := t.TempDir()
	r.HostDir = filepath.Join(hostBase, "srv", "demo")
	r.Hosts = []*Host{{SSHD: r.SSHD, Dir: r.HostDir, r: r}}
	if r.second {
		r.Hosts = append(r.Hosts, r.startSecondHost(hostBase, creds))
	}
	for _, h := range r.Hosts {
		r.checkCompose(h.SSHD, component)
	}
	root, err := testenv.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	r.testdata = filepath.Join(root, "testdata", "deploy")
	r.Repo = t.TempDir()
	for _, f := range []string{"gantry.yml", "docker-compose.yml", ".env.prod"} {
		b, err := os.ReadFile(filepath.Join(r.testdata, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(r.Repo, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r.Project = fmt.Sprintf("gantrytest%d", time.Now().UnixNano()%1e9)
	r.WebPort = strconv.Itoa(testenv.FreePort(t))
	// The host's compose pulls with the registry's credentials; DOCKER_CONFIG
	// keeps them out of root's own docker config.
	r.Vars = map[string]string{
		"DEPLOY_HOST": r.SSHD.Host(), "DEPLOY_PATH": r.HostDir, "REGISTRY": r.Reg.Host(),
		"WEB_PORT": r.WebPort, "DOCKER_CONFIG": creds,
	}
	if r.second {
		r.Vars["DEPLOY_HOST2"] = r.Hosts[1].SSHD.Host()
	}
	r.RegOpts = []image.Option{
		image.WithTransport(r.Reg.Transport()),
		image.WithCredentials(image.Credentials{Registry: r.Reg.Host(), Username: registrytest.User, Password: registrytest.Password}),
		image.WithCertsDir(""),
	}
	r.Hooks = startHookReceiver(t)
	r.Mail = startSMTPReceiver(t)
	t.Cleanup(r.cleanup)
	return r
}

// userDockerConfig makes the host user's docker config directory for
// ComposeV2: the plugin in cli-plugins and, unless the environment's
// variables carry them, the registry credentials of creds.
func (r *Rig) userDockerConfig(creds string) string {
	r.t.Helper()
	dir := r.t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "cli-plugins"), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.Symlink(testenv.ComposeV2Plugin(), filepath.Join(dir, "cli-plugins", "docker-compose")); err != nil {
		r.t.Fatal(err)
	}
	if !r.dockerConfigVar {
		b, err := os.ReadFile(filepath.Join(creds, "config.json"))
		if err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o600); err != nil {
			r.t.Fatal(err)
		}
	}
	return dir
}

// checkCompose stops the test, as testenv.Require does for a missing
// component, when the host's session finds another compose than the
// rig's: on a machine with the plugin installed system-wide the v1 tests
// would otherwise test v2.
func (r *Rig) checkCompose(srv *sshtest.Server, component string) {
	r.t.Helper()
	c := srv.Dial(r.t)
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		r.t.Fatal(err)
	}
	defer sess.Close()
	out, err := sess.Output(`if docker compose version >/dev/null 2>&1; then echo "docker compose"; else echo docker-compose; fi`)
	if err != nil {
		r.t.Fatal(err)
	}
	got := Compose(strings.TrimSpace(string(out)))
	if got == r.Compose {
		return
	}
	msg := fmt.Sprintf("deploytest: the session of %s runs %q, not %q (is Compose v2 installed system-wide?)", srv.Host(), got, r.Compose)
	if testenv.Required(component) {
		r.t.Fatalf("%s, and %s=%s requires %s", msg, testenv.RequireEnv, os.Getenv(testenv.RequireEnv), component)
	}
	r.t.Skipf("%s; set %s=%s to make this a failure", msg, testenv.RequireEnv, component)
}

// Push builds (once) the app variant (v1, v2, v3 failing its health
// check, v4 failing its migration) reporting version as, pushes it to the
// rig's registry with tag as, and returns its digest.
func (r *Rig) Push(variant, as string) string {
	r.t.Helper()
	v, ok := appVariants[variant]
	if !ok {
		r.t.Fatalf("no app variant %q", variant)
	}
	version := v[0]
	if as != variant {
		version = as
	}
	local := localApp(r.t, version, v[1])
	ref := r.Reg.Host() + "/gantry-demo:" + as
	if out, err := exec.Command("docker", "tag", local, ref).CombinedOutput(); err != nil {
		r.t.Fatalf("docker tag: %v: %s", err, out)
	}
	var log bytes.Buffer
	pushed, err := image.Push(context.Background(), []string{ref}, &log, r.RegOpts...)
	if err != nil {
		r.t.Fatalf("push %s: %v\n%s", ref, err, log.String())
	}
	// Drop the local tag: the host must pull from the registry.
	exec.Command("docker", "rmi", ref).Run()
	r.Digests[as] = pushed[0].Digest
	return pushed[0].Digest
}

// Config loads the repository's gantry.yml as the rig runs it: its own
// compose project name, registry credentials and notification receivers.
func (r *Rig) Config() *deploy.Config {
	r.t.Helper()
	c, err := deploy.Load(filepath.Join(r.Repo, "gantry.yml"))
	if err != nil {
		r.t.Fatal(err)
	}
	e := c.Env("production")
	e.Project = r.Project
	if r.dockerConfigVar {
		e.Variables = append(e.Variables, gantryfile.Variable{Name: "DOCKER_CONFIG", Value: "$DOCKER_CONFIG"})
	}
	if r.second {
		r.secondHostConfig(e)
	}
	c.Notify = gantryfile.Notify{Webhook: []string{r.Hooks.Srv.URL}, Email: &gantryfile.Email{
		Server: r.Mail.Addr, From: "gantry@example.com", To: []string{"ops@example.com"}}}
	return c
}

// Deployer returns a Deployer for cfg writing its progress to out.
func (r *Rig) Deployer(cfg *deploy.Config, out io.Writer) *deploy.Deployer {
	return &deploy.Deployer{
		Config: cfg,
		Dir:    r.Repo,
		Dialer: r.dialer(),
		Resolver: deploy.ResolverFunc(func(ctx context.Context, ref string) (string, error) {
			return image.Resolve(ctx, ref, r.RegOpts...)
		}),
		Out:           out,
		Who:           "tester@ci",
		Vars:          r.Lookup,
		NotifyTimeout: 5 * time.Second,
	}
}

// Lookup finds name in Vars, then in the process environment.
func (r *Rig) Lookup(name string) (string, bool) {
	if v, ok := r.Vars[name]; ok {
		return v, true
	}
	return os.LookupEnv(name)
}

// Serving asks the app what version answers on the web port.
func (r *Rig) Serving() string {
	r.t.Helper()
	return r.serving(&http.Client{Timeout: 3 * time.Second})
}

// serving asks the app's /healthz on the web port, through c, what
// version answers: "v2/ok", say, or what went wrong.
func (r *Rig) serving(c *http.Client) string {
	resp, err := c.Get("http://127.0.0.1:" + r.WebPort + "/healthz")
	if err != nil {
		return "unreachable: " + err.Error()
	}
	defer resp.Body.Close()
	var v struct {
		Version string `json:"version"`
		Status  string `json:"status"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return "bad body: " + err.Error()
	}
	return v.Version + "/" + v.Status
}

// Containers lists the project's containers on the primary as "service
// state", sorted; one-off ones (compose run) as "service run state".
func (r *Rig) Containers() []string {
	r.t.Helper()
	return r.Hosts[0].Containers()
}

// HostHasImage tells whether the primary's engine (the local dockerd) has
// ref.
func (r *Rig) HostHasImage(ref string) bool {
	return r.Hosts[0].HasImage(ref)
}

func (r *Rig) cleanup() {
	out, _ := exec.Command("docker", "ps", "-aq", "--filter", "label=com.docker.compose.project="+r.Project).Output()
	if ids := strings.Fields(string(out)); len(ids) > 0 {
		exec.Command("docker", append([]string{"rm", "-f"}, ids...)...).Run()
	}
	exec.Command("docker", "network", "rm", r.Project+"_default").Run()
	// By reference, not by ID: the ID is shared with the local builds
	// that later tests reuse.
	var refs []string
	for _, d := range r.Digests {
		refs = append(refs, r.Reg.Host()+"/gantry-demo@"+d)
	}
	if len(refs) > 0 {
		exec.Command("docker", append([]string{"rmi"}, refs...)...).Run()
	}
}

// HookReceiver is a local JSON webhook endpoint.
type HookReceiver struct {
	Srv    *httptest.Server
	mu     sync.Mutex
	events []map[string]any
}

func startHookReceiver(t *testing.T) *HookReceiver {
	h := &HookReceiver{}
	h.Srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var ev map[string]any
		if err := json.NewDecoder(req.Body).Decode(&ev); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		h.mu.Lock()
		h.events = append(h.events, ev)
		h.mu.Unlock()
	}))
	t.Cleanup(h.Srv.Close)
	return h
}

// Got returns the events received so far.
func (h *HookReceiver) Got() []map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]map[string]any(nil), h.events...)
}

// SMTPReceiver is a minimal SMTP server keeping the messages it accepts.
type SMTPReceiver struct {
	Addr string
	mu   sync.Mutex
	msgs []string
}

func startSMTPReceiver(t *testing.T) *SMTPReceiver {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &SMTPReceiver{Addr: l.Addr().String()}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *SMTPReceiver) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	rd := bufio.NewReader(c)
	say := func(line string) { fmt.Fprintf(c, "%s\r\n", line) }
	say("220 test ESMTP")
	var data strings.Builder
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250 test")
		case strings.HasPrefix(cmd, "MAIL"), strings.HasPrefix(cmd, "RCPT"), strings.HasPrefix(cmd, "RSET"), strings.HasPrefix(cmd, "NOOP"):
			say("250 ok")
		case cmd == "DATA":
			say("354 go on")
			for {
				l, err := rd.ReadString('\n')
				if err != nil {
					return
				}
				if strings.TrimRight(l, "\r\n") == "." {
					break
				}
				data.WriteString(l)
			}
			s.mu.Lock()
			s.msgs = append(s.msgs, data.String())
			s.mu.Unlock()
			data.Reset()
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("502 not implemented")
		}
	}
}

// Got returns the messages received so far.
func (s *SMTPReceiver) Got() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.msgs...)
}

// LogWriter sends progress lines to the test log and keeps them.
type LogWriter struct {
	T  *testing.T
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *LogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b.Write(p)
	w.T.Logf("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// String returns everything written.
func (w *LogWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
