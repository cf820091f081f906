package examplestest

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/registrytest"
	"github.com/gantry-ci/gantry/internal/sshtest"
	"github.com/gantry-ci/gantry/internal/testenv"
)

// site is where the end-to-end test ships Gardel, set up as the example's
// README tells a new user to: gantry.yml adapted to the servers (sshd on
// 127.0.0.1 for both, each environment a compose project of its own on
// this machine's engine), and the CI variables a GitLab project would
// hold in a variables file for gantry run.
type site struct {
	dir   string // the repository: a copy of examples/gardel
	repo  string // $CI_REGISTRY_IMAGE
	reg   *registrytest.Registry
	sshd  *sshtest.Server
	hooks *hookReceiver
	// vars is the variables file of `gantry run --env-file`.
	vars                string
	staging, production *siteEnv
}

// siteEnv is one environment of gantry.yml as the test runs it.
type siteEnv struct {
	name    string
	host    string // the site's name: ALLOWED_HOSTS, the health checks' Host
	port    string // gunicorn's port on the server's loopback
	path    string // the app's directory on the server
	project string // the compose project
}

func newSite(t *testing.T, reg *registrytest.Registry, sshd *sshtest.Server) *site {
	t.Helper()
	s := &site{dir: copyGardel(t), repo: reg.Host() + "/gardel/backend", reg: reg, sshd: sshd, hooks: startHookReceiver(t)}
	stamp := fmt.Sprint(time.Now().UnixNano() % 1e9)
	srv := t.TempDir()
	s.staging = &siteEnv{"staging", "staging.gardel.example.com", quietPort(t), filepath.Join(srv, "staging"), "gardele2e" + stamp + "staging"}
	s.production = &siteEnv{"production", "gardel.example.com", quietPort(t), filepath.Join(srv, "production"), "gardele2e" + stamp + "prod"}
	t.Cleanup(func() {
		for _, e := range []*siteEnv{s.staging, s.production} {
			removeProject(t, e.project)
		}
	})

	// A real server logs in to the registry once; this one's compose
	// reads the credentials from a DOCKER_CONFIG of its own, leaving
	// root's docker config alone.
	dockerConfig := reg.DockerConfig(t)

	// gantry.yml: the README's "adapt it" step, environment by
	// environment.
	path := filepath.Join(s.dir, "gantry.yml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	cut := strings.Index(text, "\n  production:\n")
	if cut < 0 {
		t.Fatal("gantry.yml has no production environment: update the test")
	}
	parts := []string{text[:cut], text[cut:]}
	for i, e := range []*siteEnv{s.staging, s.production} {
		for _, r := range []struct {
			old, new string
			n        int
		}{
			{"hosts: [deploy@" + e.host + "]", "hosts: [" + sshd.Host() + "]", 1},
			{"    path: /srv/gardel\n", "    path: " + e.path + "\n    project: " + e.project + "\n", 1},
			{"    variables:\n", "    variables:\n      DOCKER_CONFIG: " + dockerConfig + "\n", 1},
			{`WEB_PORT: "8000"`, `WEB_PORT: "` + e.port + `"`, 1},
			{"http://127.0.0.1:8000/", "http://127.0.0.1:" + e.port + "/", 2},
		} {
			if got := strings.Count(parts[i], r.old); got != r.n {
				t.Fatalf("gantry.yml's %s holds %q %d times, want %d: update the test", e.name, r.old, got, r.n)
			}
			parts[i] = strings.ReplaceAll(parts[i], r.old, r.new)
		}
	}
	writeFile(t, path, parts[0]+parts[1])

	// The CI variables: the registry (GitLab gives CI_REGISTRY_*), its CA
	// for gantry (Go reads SSL_CERT_FILE), the SSH key and known_hosts
	// gantry deploy reads, each environment's .env.prod, the webhook.
	ca, err := os.ReadFile(reg.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	var vars strings.Builder
	add := func(prefix, name, value string) {
		fmt.Fprintf(&vars, "%s%s=%s\n", prefix, name, quoteVar(value))
	}
	add("", "CI_REGISTRY", reg.Host())
	add("", "CI_REGISTRY_IMAGE", s.repo)
	add("", "CI_REGISTRY_USER", registrytest.User)
	add("masked ", "CI_REGISTRY_PASSWORD", registrytest.Password)
	add("file ", "SSL_CERT_FILE", string(ca))
	add("file ", "GANTRY_SSH_IDENTITY", readFile(t, sshd.Identity))
	add("file ", "GANTRY_SSH_KNOWN_HOSTS", readFile(t, sshd.KnownHosts))
	add("file ", "STAGING_ENV_FILE", envFile(t, s.staging))
	add("file ", "PRODUCTION_ENV_FILE", envFile(t, s.production))
	add("", "GARDEL_DEPLOY_WEBHOOK", s.hooks.srv.URL)
	s.vars = filepath.Join(t.TempDir(), "variables")
	writeFile(t, s.vars, vars.String())
	return s
}

// quietPort returns a free port below Linux's ephemeral range: compose
// binds it minutes later, and the ports the kernel hands out meanwhile
// (to the other tests' servers and connections) never collide with it.
func quietPort(t *testing.T) string {
	t.Helper()
	for range 100 {
		p := strconv.Itoa(20000 + rand.IntN(12000))
		l, err := net.Listen("tcp", "127.0.0.1:"+p)
		if err == nil {
			l.Close()
			return p
		}
	}
	return strconv.Itoa(testenv.FreePort(t))
}

// envFile is the environment's .env.prod, made from .env.prod.example as
// its comments say.
func envFile(t *testing.T, e *siteEnv) string {
	t.Helper()
	example := readFile(t, filepath.Join(gardelDir(t), ".env.prod.example"))
	out := strings.NewReplacer(
		"DJANGO_SECRET_KEY=change-me", "DJANGO_SECRET_KEY="+strings.Repeat("gardel-e2e-secret-"+e.name+"-", 3),
		"POSTGRES_PASSWORD=change-me", "POSTGRES_PASSWORD=gardel-e2e-"+e.name,
		"DJANGO_ALLOWED_HOSTS=gardel.example.com", "DJANGO_ALLOWED_HOSTS="+e.host,
		"DJANGO_CSRF_TRUSTED_ORIGINS=https://gardel.example.com", "DJANGO_CSRF_TRUSTED_ORIGINS=https://"+e.host,
		"--workers 3", "--workers 1",
	).Replace(example)
	if strings.Contains(out, "change-me") || !strings.Contains(out, "--workers 1") {
		t.Fatalf(".env.prod.example changed: update the test\n%s", out)
	}
	return out
}

// quoteVar writes value in the variables file's double-quoted form.
func quoteVar(value string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`).Replace(value) + `"`
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// pipeline runs the pipeline of a push to ref as the README does, and
// returns its jobs and their logs.
func (s *site) pipeline(t *testing.T, ref string, extra ...string) (map[string]ranJob, map[string]string) {
	t.Helper()
	start := time.Now()
	args := append([]string{"run", "--executor", "docker", "--tag-executor", "shell=shell", "--ref", ref, "--env-file", s.vars}, extra...)
	ran, logs := runGantry(t, s.dir, args...)
	t.Logf("gantry %s: %s", strings.Join(args, " "), time.Since(start).Round(100*time.Millisecond))
	return ran, logs
}

// gantry runs this checkout's gantry in the repository with what an
// operator's shell has: the registry's credentials and CA, the SSH key.
func (s *site) gantry(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(gantryBinary(t), args...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(),
		"CI_REGISTRY="+s.reg.Host(), "CI_REGISTRY_IMAGE="+s.repo,
		"CI_REGISTRY_USER="+registrytest.User, "CI_REGISTRY_PASSWORD="+registrytest.Password,
		"SSL_CERT_FILE="+s.reg.CAFile(),
		"GANTRY_SSH_IDENTITY="+s.sshd.Identity, "GANTRY_SSH_KNOWN_HOSTS="+s.sshd.KnownHosts)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("gantry %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

// history is what the test reads of `gantry releases ENV --json`.
type history struct {
	Current struct {
		SHA    string `json:"sha"`
		Digest string `json:"digest"`
	} `json:"current"`
	Releases []struct {
		Action  string `json:"action"`
		SHA     string `json:"sha"`
		Digest  string `json:"digest"`
		Result  string `json:"result"`
		Serving string `json:"serving"`
	} `json:"releases"`
}

func (s *site) releases(t *testing.T, env string) history {
	t.Helper()
	out := s.gantry(t, "releases", env, "--json")
	var h history
	if err := json.Unmarshal([]byte(out), &h); err != nil {
		t.Fatalf("gantry releases %s --json: %v\n%s", env, err, out)
	}
	return h
}

// digest asks the registry for ref's digest.
func (s *site) digest(t *testing.T, ref string) string {
	t.Helper()
	out := s.gantry(t, "image", "inspect", "--json", ref)
	var info struct{ Digest string }
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatalf("gantry image inspect %s: %v\n%s", ref, err, out)
	}
	return info.Digest
}

// wantServing asks the environment's /healthz, from the server as its
// reverse proxy would, until it answers 200 for sha.
func (s *site) wantServing(t *testing.T, e *siteEnv, sha string) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var last string
	for deadline := time.Now().Add(20 * time.Second); ; {
		req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:"+e.port+"/healthz", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = e.host
		resp, err := c.Do(req)
		if err == nil {
			b, _ := io.ReadAll(resp.Body) // a short body shows in the message
			resp.Body.Close()
			var body struct{ Status, Version string }
			_ = json.Unmarshal(b, &body) // a non-JSON answer shows in last
			last = fmt.Sprintf("%s %s", resp.Status, b)
			if resp.StatusCode == http.StatusOK && body.Version == sha {
				t.Logf("%s /healthz: %s", e.name, b)
				return
			}
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not serve %s: /healthz answers %s", e.name, sha, last)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// removeImages removes the local images of sha: the build's tag and what
// the servers pulled by digest.
func (s *site) removeImages(sha string) {
	out, _ := exec.Command("docker", "images", "--digests", "--format", "{{.Repository}}@{{.Digest}} {{.Repository}}:{{.Tag}}", s.repo).Output() // none listed: nothing to remove
	var refs []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		byDigest, byTag, ok := strings.Cut(line, " ")
		if ok && strings.HasSuffix(byTag, ":"+sha) {
			refs = append(refs, byTag)
			if !strings.HasSuffix(byDigest, "@<none>") {
				refs = append(refs, byDigest)
			}
		}
	}
	refs = append(refs, s.repo+":"+sha)
	_ = exec.Command("docker", append([]string{"rmi", "-f"}, refs...)...).Run() // best effort: some were never made
}

var (
	gantryOnce sync.Once
	gantryPath string
	gantryErr  error
)

// gantryBinary builds this checkout's gantry once per test run: the jobs
// call it, as a runner's shell would.
func gantryBinary(t *testing.T) string {
	t.Helper()
	gantryOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gantry-examplestest")
		if err != nil {
			gantryErr = err
			return
		}
		gantryPath = filepath.Join(dir, "gantry")
		start := time.Now()
		if out, err := exec.Command("go", "build", "-o", gantryPath, "github.com/gantry-ci/gantry/cmd/gantry").CombinedOutput(); err != nil {
			gantryErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
		t.Logf("go build: %s", time.Since(start).Round(100*time.Millisecond))
	})
	if gantryErr != nil {
		t.Fatal(gantryErr)
	}
	return gantryPath
}

// removeProject removes what a compose project left: containers,
// networks and volumes.
func removeProject(t *testing.T, project string) {
	label := "label=com.docker.compose.project=" + project
	for _, kind := range [][2]string{{"ps -aq", "rm -f -v"}, {"network ls -q", "network rm"}, {"volume ls -q", "volume rm -f"}} {
		list := append(strings.Fields(kind[0]), "--filter", label)
		out, err := exec.Command("docker", list...).Output()
		if err != nil {
			t.Logf("docker %s: %v", strings.Join(list, " "), err)
			continue
		}
		if ids := strings.Fields(string(out)); len(ids) > 0 {
			if out, err := exec.Command("docker", append(strings.Fields(kind[1]), ids...)...).CombinedOutput(); err != nil {
				t.Logf("docker %s: %v\n%s", kind[1], err, out)
			}
		}
	}
}
