package deploy_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/deploy"
	"github.com/gantry-ci/gantry/internal/image"
	"github.com/gantry-ci/gantry/internal/registrytest"
	"github.com/gantry-ci/gantry/internal/sshtest"
	"github.com/gantry-ci/gantry/internal/testenv"
)

// rig is one deploy environment for a test: a registry holding the test
// app's images, sshd on 127.0.0.1 as the deploy host (whose compose talks
// to the local dockerd), a copy of testdata/deploy as the repository, and
// receivers for notifications.
type rig struct {
	t        *testing.T
	reg      *registrytest.Registry
	sshd     *sshtest.Server
	repo     string // the repository: gantry.yml, compose file, env file
	hostDir  string // the app's directory on the host
	project  string
	webPort  string
	vars     map[string]string
	regOpts  []image.Option
	hooks    *hookReceiver
	mail     *smtpReceiver
	digests  map[string]string // tag -> digest pushed
	testdata string
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

// localApp builds the app variant as gantry-demo-test:<tag> once per run.
func localApp(t *testing.T, tag, version, fail string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	ref := "gantry-demo-test:" + tag
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

func newRig(t *testing.T) *rig {
	t.Helper()
	testenv.Image(t, "busybox")
	testenv.Require(t, "docker-compose")
	r := &rig{t: t, digests: map[string]string{}}
	r.reg = registrytest.Start(t)
	r.sshd = sshtest.Start(t)
	root, err := testenv.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	r.testdata = filepath.Join(root, "testdata", "deploy")
	r.repo = t.TempDir()
	for _, f := range []string{"gantry.yml", "docker-compose.yml", ".env.prod"} {
		b, err := os.ReadFile(filepath.Join(r.testdata, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(r.repo, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r.hostDir = filepath.Join(t.TempDir(), "srv", "demo")
	r.project = fmt.Sprintf("gantrytest%d", time.Now().UnixNano()%1e9)
	r.webPort = freePort(t)
	// The host's compose pulls with these credentials; DOCKER_CONFIG keeps
	// them out of root's own docker config.
	dockerConfig := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte(registrytest.User + ":" + registrytest.Password))
	cfg := fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, r.reg.Host(), auth)
	if err := os.WriteFile(filepath.Join(dockerConfig, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	r.vars = map[string]string{
		"DEPLOY_HOST": r.sshd.Host(), "DEPLOY_PATH": r.hostDir, "REGISTRY": r.reg.Host(),
		"WEB_PORT": r.webPort, "DOCKER_CONFIG": dockerConfig,
	}
	r.regOpts = []image.Option{
		image.WithTransport(r.reg.Transport()),
		image.WithCredentials(image.Credentials{Registry: r.reg.Host(), Username: registrytest.User, Password: registrytest.Password}),
		image.WithCertsDir(""),
	}
	r.hooks = startHookReceiver(t)
	r.mail = startSMTPReceiver(t)
	t.Cleanup(r.cleanup)
	return r
}

// push builds (once) and pushes the app variant tag to the rig's registry
// under tag as, and returns its digest.
func (r *rig) push(tag, as string) string {
	r.t.Helper()
	v := appVariants[tag]
	local := localApp(r.t, tag, v[0], v[1])
	ref := r.reg.Host() + "/gantry-demo:" + as
	if out, err := exec.Command("docker", "tag", local, ref).CombinedOutput(); err != nil {
		r.t.Fatalf("docker tag: %v: %s", err, out)
	}
	var log bytes.Buffer
	pushed, err := image.Push(context.Background(), []string{ref}, &log, r.regOpts...)
	if err != nil {
		r.t.Fatalf("push %s: %v\n%s", ref, err, log.String())
	}
	// Drop the local tag: the host must pull from the registry.
	exec.Command("docker", "rmi", ref).Run()
	r.digests[as] = pushed[0].Digest
	return pushed[0].Digest
}

// config loads the repository's gantry.yml as the rig runs it: its own
// compose project name, registry credentials and notification receivers.
func (r *rig) config() *deploy.Config {
	r.t.Helper()
	c, err := deploy.Load(filepath.Join(r.repo, "gantry.yml"))
	if err != nil {
		r.t.Fatal(err)
	}
	e := c.Env("production")
	e.Project = r.project
	e.Variables = append(e.Variables, deploy.Variable{Name: "DOCKER_CONFIG", Value: "$DOCKER_CONFIG"})
	c.Notify = deploy.Notify{Webhook: []string{r.hooks.srv.URL}, Email: &deploy.Email{
		Server: r.mail.addr, From: "gantry@example.com", To: []string{"ops@example.com"}}}
	return c
}

// deployer returns a Deployer for cfg writing its progress to out.
func (r *rig) deployer(cfg *deploy.Config, out io.Writer) *deploy.Deployer {
	return &deploy.Deployer{
		Config: cfg,
		Dir:    r.repo,
		Dialer: &deploy.SSHDialer{KnownHosts: []string{r.sshd.KnownHosts}, Identities: []string{r.sshd.Identity}, Timeout: 10 * time.Second},
		Resolver: deploy.ResolverFunc(func(ctx context.Context, ref string) (string, error) {
			return image.Resolve(ctx, ref, r.regOpts...)
		}),
		Out:           out,
		Who:           "tester@ci",
		Vars:          r.lookup,
		NotifyTimeout: 5 * time.Second,
	}
}

func (r *rig) lookup(name string) (string, bool) {
	if v, ok := r.vars[name]; ok {
		return v, true
	}
	return os.LookupEnv(name)
}

// serving asks the app what version answers on the web port.
func (r *rig) serving() string {
	r.t.Helper()
	c := &http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get("http://127.0.0.1:" + r.webPort + "/healthz")
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

// hostHasImage tells whether the local dockerd (the host's) has ref.
func (r *rig) hostHasImage(ref string) bool {
	return exec.Command("docker", "image", "inspect", ref).Run() == nil
}

func (r *rig) cleanup() {
	out, _ := exec.Command("docker", "ps", "-aq", "--filter", "label=com.docker.compose.project="+r.project).Output()
	if ids := strings.Fields(string(out)); len(ids) > 0 {
		exec.Command("docker", append([]string{"rm", "-f"}, ids...)...).Run()
	}
	exec.Command("docker", "network", "rm", r.project+"_default").Run()
	// By reference, not by ID: the ID is shared with the local builds
	// that later tests reuse.
	var refs []string
	for _, d := range r.digests {
		refs = append(refs, r.reg.Host()+"/gantry-demo@"+d)
	}
	if len(refs) > 0 {
		exec.Command("docker", append([]string{"rmi"}, refs...)...).Run()
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, p, _ := net.SplitHostPort(l.Addr().String())
	return p
}

// hookReceiver is a local JSON webhook endpoint.
type hookReceiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	events []map[string]any
}

func startHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var ev map[string]any
		if err := json.NewDecoder(req.Body).Decode(&ev); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		h.mu.Lock()
		h.events = append(h.events, ev)
		h.mu.Unlock()
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) got() []map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]map[string]any(nil), h.events...)
}

// smtpReceiver is a minimal SMTP server keeping the messages it accepts.
type smtpReceiver struct {
	addr string
	mu   sync.Mutex
	msgs []string
}

func startSMTPReceiver(t *testing.T) *smtpReceiver {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpReceiver{addr: l.Addr().String()}
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

func (s *smtpReceiver) serve(c net.Conn) {
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

func (s *smtpReceiver) got() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.msgs...)
}

// logWriter sends progress lines to the test log and keeps them.
type logWriter struct {
	t  *testing.T
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b.Write(p)
	w.t.Logf("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func (w *logWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
