package deploy_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/deploy"
	"github.com/gantry-ci/gantry/internal/deploy/deploytest"
	"github.com/gantry-ci/gantry/internal/gantryfile"
	"github.com/google/go-cmp/cmp"
)

// composes are the composes a host may offer: Debian's docker-compose v1,
// which CI's host has, and the v2 plugin most servers run.
var composes = []deploytest.Compose{deploytest.ComposeV1, deploytest.ComposeV2}

// TestDeployScenarios runs the scenarios 1-4 and 8 in order on one
// environment, each step depending on the state the previous one left:
// real sshd, real dockerd with compose, real registry; once with each
// compose.
func TestDeployScenarios(t *testing.T) {
	for _, c := range composes {
		t.Run(string(c), func(t *testing.T) { deployScenarios(t, c) })
	}
}

func deployScenarios(t *testing.T, c deploytest.Compose) {
	r := deploytest.New(t, deploytest.WithCompose(c))
	for _, tag := range []string{"v1", "v2", "v3", "v4"} {
		r.Push(tag, tag)
	}
	cfg := r.Config()
	ctx := context.Background()
	image := func(tag string) string { return r.Reg.Host() + "/gantry-demo@" + r.Digests[tag] }

	t.Run("1 first deploy of v1 is healthy and recorded", func(t *testing.T) {
		out := &deploytest.LogWriter{T: t}
		rep, err := r.Deployer(cfg, out).Deploy(ctx, deploy.Options{Env: "production", Tag: "v1"})
		if err != nil {
			t.Fatalf("deploy v1: %v", err)
		}
		if got := r.Serving(); got != "v1/ok" {
			t.Errorf("serving %s, want v1/ok", got)
		}
		checkContainers(t, r)
		if rep.Record.Result != deploy.Success || rep.Record.Digest != r.Digests["v1"] || rep.Record.Previous != "" {
			t.Errorf("record = %+v", rep.Record)
		}
		recs, cur, err := r.Deployer(cfg, nil).Releases(ctx, "production")
		if err != nil || len(recs) != 1 || cur == nil || cur.Tag != "v1" {
			t.Fatalf("releases = %+v, current %+v, %v", recs, cur, err)
		}
		st, err := os.Stat(filepath.Join(r.HostDir, ".env.prod"))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("env file on the host: %v, mode %v; want 0600", err, st.Mode())
		}
		if strings.Contains(out.String(), "not-a-secret") {
			t.Error("the env file's content was printed")
		}
		if _, err := os.Stat(filepath.Join(r.HostDir, ".gantry", "lock")); !os.IsNotExist(err) {
			t.Errorf("lock still there after success: %v", err)
		}
	})

	t.Run("2 v2 is healthy, history shows v1 to v2, v1's image kept", func(t *testing.T) {
		if _, err := r.Deployer(cfg, &deploytest.LogWriter{T: t}).Deploy(ctx, deploy.Options{Env: "production", Tag: "v2"}); err != nil {
			t.Fatalf("deploy v2: %v", err)
		}
		if got := r.Serving(); got != "v2/ok" {
			t.Errorf("serving %s, want v2/ok", got)
		}
		checkContainers(t, r)
		recs, _, err := r.Deployer(cfg, nil).Releases(ctx, "production")
		if err != nil {
			t.Fatal(err)
		}
		last := recs[len(recs)-1]
		if last.Tag != "v2" || last.Previous != "v1" || last.Result != deploy.Success || last.Who != "tester@ci" {
			t.Errorf("last record = %+v, want v1 -> v2 success by tester@ci", last)
		}
		if !r.HostHasImage(image("v1")) {
			t.Errorf("v1's image %s was not kept", image("v1"))
		}
	})

	t.Run("3 v3 fails its health check and is rolled back to v2", func(t *testing.T) {
		hooksBefore, mailBefore := len(r.Hooks.Got()), len(r.Mail.Got())
		out := &deploytest.LogWriter{T: t}
		start := time.Now()
		rep, err := r.Deployer(cfg, out).Deploy(ctx, deploy.Options{Env: "production", Tag: "v3"})
		if !errors.Is(err, deploy.ErrRolledBack) {
			t.Fatalf("deploy v3: %v, want rolled back", err)
		}
		if got := r.Serving(); got != "v2/ok" {
			t.Errorf("serving %s after the rollback, want v2/ok", got)
		}
		checkContainers(t, r)
		if rep.Record.Result != deploy.RolledBack || rep.Record.Serving != "v2" {
			t.Errorf("record = %+v", rep.Record)
		}
		for _, want := range []string{"database unreachable", "app v3 listening", "rolled back to v2"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("output lacks %q (the failing check's response, the new containers' logs, the verdict)", want)
			}
		}
		hooks, mails := r.Hooks.Got(), r.Mail.Got()
		if len(hooks) != hooksBefore+1 || hooks[len(hooks)-1]["result"] != "rolled_back" || hooks[len(hooks)-1]["sha"] != "v3" {
			t.Errorf("webhook got %v", hooks[hooksBefore:])
		}
		if len(mails) != mailBefore+1 || !strings.Contains(mails[len(mails)-1], "rolled back to v2") {
			t.Errorf("mail got %q", mails[mailBefore:])
		}
		t.Logf("deploy + rollback took %s", time.Since(start))
		for _, st := range rep.Steps {
			if st.Step == deploy.StepRollback && st.Duration > 10*time.Second {
				t.Errorf("the rollback took %s after the gate failed, target 10s", st.Duration)
			}
		}
	})

	t.Run("4 v4's migration fails: nothing switched, v2 serves", func(t *testing.T) {
		out := &deploytest.LogWriter{T: t}
		rep, err := r.Deployer(cfg, out).Deploy(ctx, deploy.Options{Env: "production", Tag: "v4"})
		if err == nil || errors.Is(err, deploy.ErrRolledBack) {
			t.Fatalf("deploy v4: %v, want a failure before the switch", err)
		}
		if rep.Record.Result != deploy.Failed {
			t.Errorf("result %s, want failed", rep.Record.Result)
		}
		for _, st := range rep.Steps {
			if st.Step == deploy.StepRoll {
				t.Errorf("services were rolled: %+v", st)
			}
		}
		if !strings.Contains(out.String(), "migration 0042_v4 failed") {
			t.Error("the migration's error is not shown")
		}
		if got := r.Serving(); got != "v2/ok" {
			t.Errorf("serving %s, want v2/ok", got)
		}
		// The failed migration's one-off container is gone too.
		checkContainers(t, r)
	})

	t.Run("8 gantry rollback to v1 by hand goes through the gate", func(t *testing.T) {
		rep, err := r.Deployer(cfg, &deploytest.LogWriter{T: t}).Rollback(ctx, deploy.Options{Env: "production", To: "v1"})
		if err != nil {
			t.Fatalf("rollback: %v", err)
		}
		if got := r.Serving(); got != "v1/ok" {
			t.Errorf("serving %s, want v1/ok", got)
		}
		checkContainers(t, r)
		var gated bool
		for _, st := range rep.Steps {
			gated = gated || st.Step == deploy.StepHealth
			if st.Step == deploy.StepRelease {
				t.Error("a rollback ran the release commands")
			}
		}
		if !gated || rep.Record.Action != "rollback" || rep.Record.Tag != "v1" || rep.Record.Previous != "v2" {
			t.Errorf("gated %v, record %+v", gated, rep.Record)
		}
		recs, cur, _ := r.Deployer(cfg, nil).Releases(ctx, "production")
		var results []string
		for _, rec := range recs {
			results = append(results, rec.Action+":"+rec.Tag+":"+rec.Result.String())
		}
		// keep: 3 keeps the images of v1 and v2; v3 and v4 never served.
		for tag, want := range map[string]bool{"v1": true, "v2": true, "v3": false, "v4": false} {
			if got := r.HostHasImage(image(tag)); got != want {
				t.Errorf("host has %s's image: %v, want %v", tag, got, want)
			}
		}
		want := "deploy:v1:success deploy:v2:success deploy:v3:rolled_back deploy:v4:failed rollback:v1:success"
		if got := strings.Join(results, " "); got != want || cur.Tag != "v1" {
			t.Errorf("history %s (current %s), want %s", got, cur.Tag, want)
		}
	})
}

// checkContainers checks that each service runs in one container and that
// no one-off container of the release commands is left.
func checkContainers(t *testing.T, r *deploytest.Rig) {
	t.Helper()
	want := []string{"beat running", "web running", "worker running"}
	if diff := cmp.Diff(want, r.Containers()); diff != "" {
		t.Errorf("the project's containers (-want +got):\n%s", diff)
	}
}

// An environment whose variables set DOCKER_CONFIG (registry credentials)
// on a host whose Compose v2 plugin is installed per user: through that
// DOCKER_CONFIG the docker CLI does not find the plugin, so gantry runs
// the plugin's binary, found with the login's DOCKER_CONFIG, and the
// pull still uses the variable's credentials.
func TestDeployComposeV2DockerConfigVariable(t *testing.T) {
	r := deploytest.New(t, deploytest.WithCompose(deploytest.ComposeV2), deploytest.WithDockerConfigVariable())
	r.Push("v1", "v1")
	r.Push("v2", "v2")
	ctx := context.Background()
	for _, tag := range []string{"v1", "v2"} {
		out := &deploytest.LogWriter{T: t}
		if _, err := r.Deployer(r.Config(), out).Deploy(ctx, deploy.Options{Env: "production", Tag: tag}); err != nil {
			t.Fatalf("deploy %s: %v", tag, err)
		}
		if got := r.Serving(); got != tag+"/ok" {
			t.Errorf("serving %s, want %s/ok", got, tag)
		}
		checkContainers(t, r)
	}
}

// A release that fails with nothing to roll back to, or whose rollback
// fails too, leaves the environment degraded, said loudly and notified;
// with each compose.
func TestDeployDegraded(t *testing.T) {
	for _, c := range composes {
		t.Run(string(c), func(t *testing.T) { deployDegraded(t, c) })
	}
}

func deployDegraded(t *testing.T, c deploytest.Compose) {
	r := deploytest.New(t, deploytest.WithCompose(c))
	r.Push("v1", "v1")
	r.Push("v3", "v3")
	ctx := context.Background()

	t.Run("first release unhealthy", func(t *testing.T) {
		out := &deploytest.LogWriter{T: t}
		rep, err := r.Deployer(r.Config(), out).Deploy(ctx, deploy.Options{Env: "production", Tag: "v3"})
		if !errors.Is(err, deploy.ErrDegraded) || rep.Record.Result != deploy.Degraded {
			t.Fatalf("deploy v3: %v, %+v", err, rep.Record)
		}
		if !strings.Contains(out.String(), "production IS DEGRADED") || !strings.Contains(err.Error(), "no previous release") {
			t.Errorf("not said loudly: %v", err)
		}
	})

	t.Run("rollback unhealthy too", func(t *testing.T) {
		if _, err := r.Deployer(r.Config(), &deploytest.LogWriter{T: t}).Deploy(ctx, deploy.Options{Env: "production", Tag: "v1"}); err != nil {
			t.Fatalf("deploy v1: %v", err)
		}
		// A check no release passes: v3 fails it, and so does v1 on the way back.
		cfg := r.Config()
		e := cfg.Env("production")
		e.Health = append(e.Health, gantryfile.HealthCheck{URL: "http://127.0.0.1:" + r.WebPort + "/readiness", Status: 200,
			Body: "never there", Interval: 200 * time.Millisecond, Timeout: time.Second, Deadline: 2 * time.Second})
		before := len(r.Hooks.Got())
		rep, err := r.Deployer(cfg, &deploytest.LogWriter{T: t}).Deploy(ctx, deploy.Options{Env: "production", Tag: "v3"})
		if !errors.Is(err, deploy.ErrDegraded) || rep.Record.Result != deploy.Degraded || rep.Record.Serving != "" {
			t.Fatalf("deploy v3: %v, %+v", err, rep.Record)
		}
		if !strings.Contains(err.Error(), "the rollback to v1 failed too") {
			t.Errorf("error %q does not say the rollback failed", err)
		}
		if h := r.Hooks.Got(); len(h) != before+1 || h[len(h)-1]["result"] != "degraded" {
			t.Errorf("webhook got %v", h[before:])
		}
	})
}
