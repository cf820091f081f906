package examplestest

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/registrytest"
	"github.com/gantry-ci/gantry/internal/testenv"
)

// TestGardelBuildAndDeployScript runs the example's build job as
// .gitlab-ci.yml writes it (gantry image build and push) for a push to
// develop, then the guide's deploy.sh with the image pulled from the
// registry, and checks the stack it starts: /healthz serves the commit,
// /readiness sees the database and the broker, and the worker runs the
// import beat schedules.
func TestGardelBuildAndDeployScript(t *testing.T) {
	for _, name := range []string{"python", "postgres", "redis"} {
		testenv.Image(t, name)
	}
	testenv.Require(t, "docker-compose")
	testenv.Require(t, "git")
	reg := registrytest.Start(t)

	// The build job calls gantry: this checkout's, on PATH, trusting the
	// test registry's CA (Go reads SSL_CERT_FILE).
	t.Setenv("PATH", filepath.Dir(gantryBinary(t))+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("SSL_CERT_FILE", reg.CAFile())

	dir := copyGardel(t)
	sha := gitCommit(t, dir, "develop")
	repo := reg.Host() + "/gardel/backend"
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", repo+":"+sha).Run() }) // best effort: the engine may be gone

	start := time.Now()
	ran, logs := runGantry(t, dir, "run", "--ref", "develop", "--job", "build",
		"--variable", "CI_REGISTRY="+reg.Host(), "--variable", "CI_REGISTRY_IMAGE="+repo,
		"--variable", "CI_REGISTRY_USER="+registrytest.User, "--secret", "CI_REGISTRY_PASSWORD="+registrytest.Password)
	t.Logf("build job: %s", time.Since(start).Round(100*time.Millisecond))
	if j := ran["build"]; j.Status != "success" {
		t.Fatalf("build job: %s (%s); log:\n%s", j.Status, j.Reason, logs["build"])
	}
	for _, s := range []string{"Built ", repo + ":" + sha} {
		if !strings.Contains(logs["build"], s) {
			t.Errorf("build log lacks %q:\n%s", s, logs["build"])
		}
	}
	// The host must pull it, as a server without the build would.
	if out, err := exec.Command("docker", "rmi", repo+":"+sha).CombinedOutput(); err != nil {
		t.Fatalf("docker rmi: %v\n%s", err, out)
	}

	host := newHost(t, reg, repo)
	start = time.Now()
	host.run(t, "bash", "deploy.sh", sha)
	t.Logf("deploy.sh: %s", time.Since(start).Round(100*time.Millisecond))

	for _, check := range []struct{ path, want string }{
		{"/healthz", `"version": "` + sha + `"`},
		{"/readiness", `"broker": "ok"`},
	} {
		body := host.waitFor(t, check.path, check.want, 30*time.Second)
		t.Logf("%s: %s", check.path, body)
	}
	logs["worker"] = host.waitForLog(t, "worker", `"message": "import done"`, 30*time.Second)
	body := host.waitFor(t, "/api/recordings/", `"count":8`, 10*time.Second)
	if !strings.Contains(body, `"title":"Por una cabeza"`) {
		t.Errorf("/api/recordings/ after the import: %s", body)
	}
}

// gitCommit makes dir a repository on branch with one commit, whose
// origin is a GitLab project, and returns the commit's SHA.
func gitCommit(t *testing.T, dir, branch string) string {
	t.Helper()
	git := gitIn(t, dir)
	git("init", "-q", "-b", branch)
	git("add", "-A")
	git("commit", "-q", "-m", "Gardel")
	git("remote", "add", "origin", "git@gitlab.example.com:gardel/backend.git")
	return git("rev-parse", "HEAD")
}

// deployHost is a directory laid out as the guide's server: the compose
// file, deploy.sh and .env.prod, with a compose project of its own.
type deployHost struct {
	dir  string
	env  []string
	port string
}

func newHost(t *testing.T, reg *registrytest.Registry, repo string) *deployHost {
	t.Helper()
	h := &deployHost{dir: t.TempDir(), port: strconv.Itoa(testenv.FreePort(t))}
	for _, f := range []string{"docker-compose.prod.yml", "deploy.sh"} {
		b, err := os.ReadFile(filepath.Join(gardelDir(t), f))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(h.dir, f), string(b))
	}
	example, err := os.ReadFile(filepath.Join(gardelDir(t), ".env.prod.example"))
	if err != nil {
		t.Fatal(err)
	}
	env := strings.NewReplacer(
		"DJANGO_SECRET_KEY=change-me", "DJANGO_SECRET_KEY="+strings.Repeat("gardel-test-secret-", 4),
		"POSTGRES_PASSWORD=change-me", "POSTGRES_PASSWORD=gardel-test-db",
		"GARDEL_IMPORT_EVERY=3600", "GARDEL_IMPORT_EVERY=2",
		"--workers 3", "--workers 1",
	).Replace(string(example))
	writeFile(t, filepath.Join(h.dir, ".env.prod"), env)

	// Compose pulls with the registry's credentials, kept out of root's
	// own docker config.
	h.env = append(os.Environ(),
		"COMPOSE_PROJECT_NAME=gardeltest"+strconv.FormatInt(time.Now().UnixNano()%1e9, 10),
		"GARDEL_IMAGE="+repo, "WEB_PORT="+h.port, "DOCKER_CONFIG="+reg.DockerConfig(t),
	)
	t.Cleanup(func() {
		// IMAGE_TAG only satisfies the file's ${IMAGE_TAG:?}.
		cmd := exec.Command("docker-compose", "-f", "docker-compose.prod.yml", "down", "-v", "--remove-orphans", "-t", "1")
		cmd.Dir, cmd.Env = h.dir, append(h.env, "IMAGE_TAG=down")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Logf("compose down: %v\n%s", err, out)
		}
	})
	return h
}

func (h *deployHost) run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = h.dir, h.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// waitFor asks path on the web service, as the site's reverse proxy would
// (its host name, over HTTPS), until the body holds want.
func (h *deployHost) waitFor(t *testing.T, path, want string, within time.Duration) string {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	var last string
	for deadline := time.Now().Add(within); ; {
		req, err := http.NewRequest("GET", "http://127.0.0.1:"+h.port+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = "gardel.example.com"
		req.Header.Set("X-Forwarded-Proto", "https")
		resp, err := c.Do(req)
		if err == nil {
			b, _ := io.ReadAll(resp.Body) // a short read shows in the message
			resp.Body.Close()
			last = fmt.Sprintf("%s %s", resp.Status, b)
			if resp.StatusCode == http.StatusOK && strings.Contains(string(b), want) {
				return string(b)
			}
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no %q within %s; last: %s\nweb's log:\n%s", path, want, within, last, h.logs(t, "web"))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// waitForLog waits until service's log holds want and returns the log.
func (h *deployHost) waitForLog(t *testing.T, service, want string, within time.Duration) string {
	t.Helper()
	for deadline := time.Now().Add(within); ; {
		l := h.logs(t, service)
		if strings.Contains(l, want) {
			return l
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s's log: no %q within %s:\n%s\nbeat's log:\n%s", service, want, within, l, h.logs(t, "beat"))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func (h *deployHost) logs(t *testing.T, service string) string {
	t.Helper()
	cmd := exec.Command("docker-compose", "-f", "docker-compose.prod.yml", "logs", "--no-color", service)
	cmd.Dir, cmd.Env = h.dir, append(h.env, "IMAGE_TAG=logs")
	out, _ := cmd.CombinedOutput() // what it printed, error included, is the answer
	return string(out)
}
