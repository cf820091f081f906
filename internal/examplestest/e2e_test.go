package examplestest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/registrytest"
	"github.com/gantry-ci/gantry/internal/sshtest"
	"github.com/gantry-ci/gantry/internal/testenv"
)

// TestGardelEndToEnd is the acceptance test of the command line: the
// Gardel example's whole pipeline, as its README walks a new user through
// it, against real components: dockerd, the registry, and sshd on
// 127.0.0.1 standing for the staging and production servers (two compose
// projects on this machine's engine).
//
//  1. On develop, `gantry run --executor docker --tag-executor shell=shell`
//     runs lint and test in containers (test with PostgreSQL and Redis),
//     build pushes $CI_REGISTRY_IMAGE:$CI_COMMIT_SHA and deploy_staging
//     ships it: staging's /healthz answers 200 with the commit.
//  2. main fast-forwarded to the same commit, deploy_prod played with
//     --manual: build keeps the image, production runs the digest staging
//     runs, and `prod` points at it.
//  3. A commit that breaks /healthz in production only (the tests pass):
//     deploy_prod fails, gantry rolls back by itself, production still
//     serves the previous release.
//
// The release history of both environments shows all of it, and the
// example's notify: webhook reached a local receiver each time.
func TestGardelEndToEnd(t *testing.T) {
	begin := time.Now()
	for _, name := range []string{"python", "postgres", "redis"} {
		testenv.Image(t, name)
	}
	testenv.Require(t, "docker-compose")
	testenv.Require(t, "git")
	t.Setenv("PATH", filepath.Dir(gantryBinary(t))+string(os.PathListSeparator)+os.Getenv("PATH"))
	s := newSite(t, registrytest.Start(t), sshtest.Start(t))
	git := gitIn(t, s.dir)

	// 1. develop: the whole pipeline, staging deployed.
	good := gitCommit(t, s.dir, "develop")
	t.Cleanup(func() { s.removeImages(good) })
	ran, logs := s.pipeline(t, "develop")
	wantJobs(t, ran, logs, map[string]string{"lint": "success", "test": "success", "build": "success", "deploy_staging": "success"})
	// Where each job ran: lint and test in containers, test with its
	// services; build and deploy_staging (tagged shell) on this machine.
	for job, want := range map[string][]string{"lint": {"Using docker image"}, "test": {"Using docker image", "Starting service gantry-test/postgres:latest as ", ", postgres\n", ", redis\n"}} {
		for _, w := range want {
			if !strings.Contains(logs[job], w) {
				t.Errorf("%s's log lacks %q: not in a container?\n%s", job, w, logs[job])
			}
		}
	}
	for _, job := range []string{"build", "deploy_staging"} {
		if strings.Contains(logs[job], "docker image") {
			t.Errorf("%s ran in a container, not on the shell:\n%s", job, logs[job])
		}
	}
	if !strings.Contains(logs["test"], "Coverage gate: passed") {
		t.Errorf("test's log does not show gantry.yml's coverage gate passed:\n%s", logs["test"])
	}
	for _, l := range []string{"Built ", s.repo + ":" + good} {
		if !strings.Contains(logs["build"], l) {
			t.Errorf("build's log lacks %q:\n%s", l, logs["build"])
		}
	}
	s.wantServing(t, s.staging, good)

	// 2. main, fast-forwarded: the manual deploy_prod promotes the digest
	// staging verified.
	git("checkout", "-q", "-b", "main")
	ran, logs = s.pipeline(t, "main", "--manual", "deploy_prod")
	wantJobs(t, ran, logs, map[string]string{"lint": "success", "test": "success", "build": "success", "deploy_prod": "success"})
	if !strings.Contains(logs["build"], "already built: kept as is") {
		t.Errorf("build on main rebuilt the image staging runs:\n%s", logs["build"])
	}
	s.wantServing(t, s.production, good)
	staging, production := s.releases(t, "staging"), s.releases(t, "production")
	digests := map[string]string{
		"staging serves":    staging.Current.Digest,
		"production serves": production.Current.Digest,
		"the commit's tag":  s.digest(t, s.repo+":"+good),
		"prod":              s.digest(t, s.repo+":prod"),
	}
	for _, d := range digests {
		if !strings.HasPrefix(d, "sha256:") || d != staging.Current.Digest {
			t.Errorf("digests differ: %v", digests)
			break
		}
	}
	t.Logf("one digest from staging to prod: %s", staging.Current.Digest)

	// 3. A release that breaks /healthz in production only: Django matches
	// the redirect exemptions without the leading slash, so /healthz now
	// answers 301 to https. Lint, tests and check --deploy pass.
	prod := filepath.Join(s.dir, "backend", "config", "settings", "prod.py")
	replaceIn(t, prod, `SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readiness$"]`, `SECURE_REDIRECT_EXEMPT = [r"^/healthz$", r"^/readiness$"]`)
	git("commit", "-q", "-a", "-m", "settings: anchor the redirect exemptions")
	broken := git("rev-parse", "HEAD")
	t.Cleanup(func() { s.removeImages(broken) })
	ran, logs = s.pipeline(t, "main", "--manual", "deploy_prod")
	// A manual job may fail by default (GitLab's allow_failure): the
	// failed deploy shows as a warning.
	wantJobs(t, ran, logs, map[string]string{"lint": "success", "test": "success", "build": "success", "deploy_prod": "warning"})
	if !strings.Contains(logs["deploy_prod"], "rolled back") {
		t.Errorf("deploy_prod's log does not say it rolled back:\n%s", logs["deploy_prod"])
	}
	s.wantServing(t, s.production, good)

	// The history: what each environment ran, newest first.
	production = s.releases(t, "production")
	type rel struct{ Action, SHA, Result, Serving string }
	var got []rel
	for _, r := range production.Releases {
		got = append(got, rel{r.Action, r.SHA, r.Result, r.Serving})
	}
	want := []rel{{"deploy", broken, "rolled_back", good}, {"deploy", good, "success", good}}
	if fmt.Sprint(got) != fmt.Sprint(want) || production.Current.SHA != good {
		t.Errorf("production's releases: %+v serving %s; want %+v serving %s", got, production.Current.SHA, want, good)
	}
	for _, env := range []string{"staging", "production"} {
		out := s.gantry(t, "releases", env)
		t.Logf("gantry releases %s:\n%s", env, out)
		if !strings.Contains(out, good[:12]) {
			t.Errorf("gantry releases %s does not show %s:\n%s", env, good[:12], out)
		}
		if env == "production" && (!strings.Contains(out, broken[:12]) || !strings.Contains(out, "rolled_back")) {
			t.Errorf("gantry releases production does not show %s rolled back:\n%s", broken[:12], out)
		}
	}

	// What the team heard: every deploy, the rollback included.
	type note struct{ Env, Result, SHA, Serving string }
	var heard []note
	for _, ev := range s.hooks.got() {
		heard = append(heard, note{ev.Env, ev.Result, ev.SHA, ev.Serving})
	}
	wantHeard := []note{
		{"staging", "success", good, ""},
		{"production", "success", good, ""},
		{"production", "rolled_back", broken, good},
	}
	if len(heard) != len(wantHeard) {
		t.Errorf("webhook got %+v, want %+v", heard, wantHeard)
	} else {
		for i, w := range wantHeard {
			if h := heard[i]; h.Env != w.Env || h.Result != w.Result || h.SHA != w.SHA || (w.Serving != "" && h.Serving != w.Serving) {
				t.Errorf("webhook event %d: %+v, want %+v", i, h, w)
			}
		}
	}
	t.Logf("end to end: %s", time.Since(begin).Round(time.Second))
}

// wantJobs checks the jobs that ran and their statuses, and shows the
// log of each one that ended otherwise.
func wantJobs(t *testing.T, ran map[string]ranJob, logs map[string]string, want map[string]string) {
	t.Helper()
	for name, j := range ran {
		t.Logf("job %s: %s in %.1fs", name, j.Status, j.Duration)
		if _, ok := want[name]; !ok {
			t.Errorf("job %s ran (%s): not in this pipeline", name, j.Status)
		}
	}
	for name, status := range want {
		j, ok := ran[name]
		if !ok {
			t.Errorf("job %s did not run", name)
			continue
		}
		if j.Status != status {
			t.Errorf("job %s: %s (%s), want %s; log:\n%s", name, j.Status, j.Reason, status, logs[name])
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// gitIn returns a git runner for the repository in dir.
func gitIn(t *testing.T, dir string) func(args ...string) string {
	return func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Gardel", "GIT_AUTHOR_EMAIL=dev@gardel.example.com",
			"GIT_COMMITTER_NAME=Gardel", "GIT_COMMITTER_EMAIL=dev@gardel.example.com", "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
}

// replaceIn replaces old, which must be there, by new in the file.
func replaceIn(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s no longer holds %q: update the test", path, old)
	}
	writeFile(t, path, strings.Replace(string(b), old, new, 1))
}

// hookReceiver is the team's webhook endpoint: it keeps the JSON events
// gantry deploy posts.
type hookReceiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	events []hookEvent
}

// hookEvent is what the test reads of a deploy notification.
type hookEvent struct {
	Env     string `json:"environment"`
	Action  string `json:"action"`
	Result  string `json:"result"`
	SHA     string `json:"sha"`
	Digest  string `json:"digest"`
	Serving string `json:"serving"`
	Text    string `json:"text"`
}

func startHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev hookEvent
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		t.Logf("webhook: %s", ev.Text)
		h.mu.Lock()
		h.events = append(h.events, ev)
		h.mu.Unlock()
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) got() []hookEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookEvent(nil), h.events...)
}
