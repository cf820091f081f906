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
)

// slowConfig makes the release command take a few seconds, so that a
// deploy is caught in the middle.
func slowConfig(r *deploytest.Rig, seconds string) *deploy.Config {
	cfg := r.Config()
	cfg.Env("production").Release.Commands = []string{"env MIGRATE_SLEEP=" + seconds + " /app migrate"}
	return cfg
}

// waitLocked polls until the environment's lock is held.
func waitLocked(t *testing.T, d *deploy.Deployer) *deploy.Lock {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		l, err := d.LockStatus(context.Background(), "production")
		if err != nil {
			t.Fatal(err)
		}
		if l != nil {
			return l
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("the first deploy never took the lock")
	return nil
}

// Scenario 5: two deploys at once; the second is refused with the
// holder's details, and a third one with --lock-wait goes after the first.
func TestDeployTwoAtOnce(t *testing.T) {
	r := deploytest.New(t)
	r.Push("v1", "v1")
	r.Push("v2", "v2")
	cfg := slowConfig(r, "4")
	ctx := context.Background()

	first := make(chan error, 1)
	go func() {
		_, err := r.Deployer(cfg, &deploytest.LogWriter{T: t}).Deploy(ctx, deploy.Options{Env: "production", Tag: "v1", Reason: "release 1.0"})
		first <- err
	}()
	held := waitLocked(t, r.Deployer(cfg, nil))
	if held.Who != "tester@ci" || held.Tag != "v1" || held.Action != "deploy" || held.Reason != "release 1.0" || held.PID != os.Getpid() {
		t.Errorf("lock holder = %+v", held)
	}

	out := &deploytest.LogWriter{T: t}
	_, err := r.Deployer(cfg, out).Deploy(ctx, deploy.Options{Env: "production", Tag: "v2"})
	var le *deploy.LockedError
	if !errors.As(err, &le) || !errors.Is(err, deploy.ErrLocked) {
		t.Fatalf("second deploy: %v, want it locked out", err)
	}
	for _, want := range []string{"locked by tester@ci", "deploy of v1", "release 1.0", "--lock-wait", "gantry lock release production"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q lacks %q", err, want)
		}
	}
	if strings.Contains(out.String(), "upload") {
		t.Error("the refused deploy went on after the lock")
	}

	waited := make(chan error, 1)
	go func() {
		_, err := r.Deployer(cfg, &deploytest.LogWriter{T: t}).Deploy(ctx, deploy.Options{Env: "production", Tag: "v2", LockWait: time.Minute})
		waited <- err
	}()
	if err := <-first; err != nil {
		t.Fatalf("first deploy: %v", err)
	}
	if err := <-waited; err != nil {
		t.Fatalf("deploy with --lock-wait: %v", err)
	}
	if got := r.Serving(); got != "v2/ok" {
		t.Errorf("serving %s, want v2/ok (the waiting deploy went last)", got)
	}
}

// Scenario 6: SIGTERM (the CLI's context is canceled by it) in the middle
// of a deploy: the migration's container is stopped, the lock is released
// and the record says canceled; with each compose.
func TestDeployCanceled(t *testing.T) {
	for _, c := range composes {
		t.Run(string(c), func(t *testing.T) { deployCanceled(t, c) })
	}
}

func deployCanceled(t *testing.T, c deploytest.Compose) {
	r := deploytest.New(t, deploytest.WithCompose(c))
	r.Push("v1", "v1")
	cfg := slowConfig(r, "30")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	type result struct {
		rep *deploy.Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := r.Deployer(cfg, &deploytest.LogWriter{T: t}).Deploy(ctx, deploy.Options{Env: "production", Tag: "v1"})
		done <- result{rep, err}
	}()
	waitLocked(t, r.Deployer(cfg, nil))
	time.Sleep(2 * time.Second) // into the slow migration
	start := time.Now()
	cancel()
	res := <-done
	if !errors.Is(res.err, deploy.ErrCanceled) {
		t.Fatalf("deploy: %v, want canceled", res.err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the deploy took %s to stop", d)
	}
	// Killing compose leaves the migration's container running: it is
	// stopped, or the migration would go on with the lock released.
	if got := r.Containers(); len(got) != 0 {
		t.Errorf("containers left: %v, want none", got)
	}
	if _, err := os.Stat(filepath.Join(r.HostDir, ".gantry", "lock")); !os.IsNotExist(err) {
		t.Errorf("lock left behind: %v", err)
	}
	recs, _, err := r.Deployer(cfg, nil).Releases(context.Background(), "production")
	if err != nil || len(recs) != 1 || recs[0].Result != deploy.Canceled {
		t.Fatalf("releases = %+v, %v; want one canceled", recs, err)
	}
	if !strings.Contains(recs[0].Reason, "release") {
		t.Errorf("reason %q does not say which step was interrupted", recs[0].Reason)
	}
}

// Scenario 7: a host whose key does not match known_hosts is refused
// before any command runs on it; so is an unknown host.
func TestDeployWrongHostKey(t *testing.T) {
	r := deploytest.New(t)
	r.Push("v1", "v1")
	cfg := r.Config()
	empty := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, knownHosts, want string
	}{
		{"mismatch", r.SSHD.WrongKnownHosts(t), "someone is in the middle: nothing was run"},
		{"unknown", empty, "is not in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := r.Deployer(cfg, &deploytest.LogWriter{T: t})
			d.Dialer = &deploy.SSHDialer{KnownHosts: []string{tt.knownHosts}, Identities: []string{r.SSHD.Identity}}
			_, err := d.Deploy(context.Background(), deploy.Options{Env: "production", Tag: "v1"})
			if !errors.Is(err, deploy.ErrHostKey) {
				t.Fatalf("deploy: %v, want a host key error", err)
			}
			t.Logf("refused: %v", err)
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), r.SSHD.Addr) {
				t.Errorf("error %q lacks %q or the host", err, tt.want)
			}
			if _, err := os.Stat(r.HostDir); !os.IsNotExist(err) {
				t.Errorf("something ran on the host: %s exists (%v)", r.HostDir, err)
			}
		})
	}
}
