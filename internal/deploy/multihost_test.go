package deploy_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/deploy"
	"github.com/gantry-ci/gantry/internal/deploy/deploytest"
	"github.com/google/go-cmp/cmp"
)

// TestDeployTwoHosts deploys to an environment of two hosts, each a
// machine of its own: real sshd on each, the second one's docker talking
// to a second dockerd in another network namespace, with its own
// containers, images, loopback and files. The scenarios run in order on
// one environment, each starting from the state the previous one left;
// once with each compose.
func TestDeployTwoHosts(t *testing.T) {
	for _, c := range composes {
		t.Run(string(c), func(t *testing.T) { deployTwoHosts(t, c) })
	}
}

func deployTwoHosts(t *testing.T, c deploytest.Compose) {
	r := deploytest.New(t, deploytest.WithCompose(c), deploytest.WithSecondHost())
	for _, tag := range []string{"v1", "v2", "v3"} {
		r.Push(tag, tag)
	}
	// Healthy releases the second host cannot get, or loses.
	r.Push("v1", "v5")
	r.Push("v1", "v6")
	r.Push("v1", "v7")
	ctx := context.Background()
	primary, second := r.Hosts[0], r.Hosts[1]
	regIP, _, err := net.SplitHostPort(r.Reg.Host())
	if err != nil {
		t.Fatal(err)
	}
	image := func(tag string) string { return r.Reg.Host() + "/gantry-demo@" + r.Digests[tag] }
	deployTo := func(t *testing.T, tag string) (*deploy.Report, string, error) {
		out := &deploytest.LogWriter{T: t}
		rep, err := r.Deployer(r.Config(), out).Deploy(ctx, deploy.Options{Env: "production", Tag: tag})
		return rep, out.String(), err
	}
	// serves checks that both hosts serve tag with its own containers.
	serves := func(t *testing.T, tag string) {
		t.Helper()
		for i, h := range r.Hosts {
			if got := h.Serving(); got != tag+"/ok" {
				t.Errorf("host %d (%s) serves %s, want %s/ok", i+1, h.SSHD.Host(), got, tag)
			}
			want := []string{"beat running", "web running", "worker running"}
			if diff := cmp.Diff(want, h.Containers()); diff != "" {
				t.Errorf("host %d's containers (-want +got):\n%s", i+1, diff)
			}
			wantImages := []string{"beat=" + image(tag), "web=" + image(tag), "worker=" + image(tag)}
			if diff := cmp.Diff(wantImages, h.Images()); diff != "" {
				t.Errorf("host %d's services run (-want +got):\n%s", i+1, diff)
			}
		}
	}
	noLock := func(t *testing.T) {
		t.Helper()
		for i, h := range r.Hosts {
			if h.Has(".gantry/lock") {
				t.Errorf("host %d still has a lock", i+1)
			}
		}
	}

	t.Run("v1 then v2: both serve v2, release commands once per deploy on the primary", func(t *testing.T) {
		for _, tag := range []string{"v1", "v2"} {
			since := time.Now()
			if _, _, err := deployTo(t, tag); err != nil {
				t.Fatalf("deploy %s: %v", tag, err)
			}
			if n1, n2 := primary.ReleaseRuns(since), second.ReleaseRuns(since); n1 != 1 || n2 != 0 {
				t.Errorf("deploy %s: release commands ran %d times on the primary, %d on the second host; want 1 and 0", tag, n1, n2)
			}
		}
		serves(t, "v2")
		noLock(t)
		for i, h := range r.Hosts {
			for _, f := range []string{"docker-compose.yml", ".env.prod"} {
				if !h.Has(f) {
					t.Errorf("host %d lacks the uploaded %s", i+1, f)
				}
			}
			if m, err := h.Mode(".env.prod"); err != nil || m != 0o600 {
				t.Errorf("host %d's env file: mode %v, %v; want 0600", i+1, m, err)
			}
			if !h.HasImage(image("v1")) {
				t.Errorf("host %d did not keep v1's image", i+1)
			}
		}
		// The state lives on the primary alone.
		if !primary.Has(".gantry/releases.jsonl") || !primary.Has(".gantry/current.json") {
			t.Error("the primary has no release log or current release")
		}
		if second.Has(".gantry") {
			t.Error("the second host has a .gantry directory: state belongs on the primary")
		}
		recs, cur, err := r.Deployer(r.Config(), nil).Releases(ctx, "production")
		if err != nil || len(recs) != 2 || cur == nil || cur.Tag != "v2" {
			t.Errorf("releases = %+v, current %+v, %v", recs, cur, err)
		}
	})

	t.Run("pull fails on the second host: nothing switched anywhere", func(t *testing.T) {
		restore := second.Engine.Unreachable(regIP)
		defer restore()
		rep, out, err := deployTo(t, "v5")
		if err == nil || errors.Is(err, deploy.ErrRolledBack) || rep.Record.Result != deploy.Failed {
			t.Fatalf("deploy v5: %v (result %s), want a failure before the switch", err, rep.Record.Result)
		}
		if !strings.Contains(err.Error(), second.SSHD.Addr) || strings.Contains(err.Error(), second.SSHD.Host()+": "+second.SSHD.Host()) {
			t.Errorf("error %q does not name the second host, once", err)
		}
		if strings.Contains(err.Error(), r.SSHD.Addr) {
			t.Errorf("error %q names the primary, whose pull worked", err)
		}
		for _, st := range rep.Steps {
			if st.Step == deploy.StepRelease || st.Step == deploy.StepRoll {
				t.Errorf("step %s ran after the failed pull", st.Step)
			}
		}
		if !strings.Contains(out, "v5 not deployed; production still serves v2") {
			t.Error("the output does not say v2 still serves")
		}
		serves(t, "v2")
		noLock(t)
		if second.HasImage(image("v5")) {
			t.Error("the second host has v5's image, which it could not pull")
		}
	})

	t.Run("v3 unhealthy: stopped at the primary, rolled back there, never on the second host", func(t *testing.T) {
		since := time.Now()
		rep, out, err := deployTo(t, "v3")
		if !errors.Is(err, deploy.ErrRolledBack) {
			t.Fatalf("deploy v3: %v, want rolled back", err)
		}
		if rep.Record.Result != deploy.RolledBack || rep.Record.Serving != "v2" {
			t.Errorf("record = %+v", rep.Record)
		}
		serves(t, "v2")
		noLock(t)
		if !strings.Contains(out, "(via "+r.SSHD.Host()+")") || !strings.Contains(err.Error(), r.SSHD.Addr) {
			t.Error("the failing check's response or the error does not name the primary")
		}
		if !strings.Contains(out, "log lines of the new containers on "+r.SSHD.Host()) {
			t.Error("no logs of the new containers on the primary")
		}
		if strings.Contains(out, "containers on "+second.SSHD.Host()) {
			t.Error("the second host's containers, which were not switched, are shown as new")
		}
		if n1, n2 := primary.ReleaseRuns(since), second.ReleaseRuns(since); n1 != 1 || n2 != 0 {
			t.Errorf("release commands ran %d times on the primary, %d on the second host; want 1 and 0", n1, n2)
		}
		// The hosts roll in turn, each gated by its own checks: the bad
		// release never reached the second host, which served v2 all along.
		if n := second.Switches(since); n != 0 {
			t.Errorf("the second host created %d service containers: v3 reached it", n)
		}
		if n := primary.Switches(since); n != 6 {
			t.Errorf("the primary created %d service containers, want 6 (3 for v3, 3 back to v2)", n)
		}
	})

	t.Run("the second host's switch fails after the primary's: both back on v2", func(t *testing.T) {
		// While the release command runs on the primary (pulls done), the
		// second host loses v6's image and its way to the registry: its
		// `up` must pull again, and cannot.
		// Its roll refuses to stop beat for an image it does not have.
		since := time.Now()
		res := deployDuring(t, r, "v6", nil, func() {
			restore := second.Engine.Unreachable(regIP)
			t.Cleanup(restore)
			second.RemoveImage(image("v6"))
		})
		if !errors.Is(res.err, deploy.ErrRolledBack) {
			t.Fatalf("deploy v6: %v, want rolled back", res.err)
		}
		if !strings.Contains(res.err.Error(), second.SSHD.Addr) || strings.Contains(res.err.Error(), second.SSHD.Host()+": "+second.SSHD.Host()) {
			t.Errorf("error %q does not name the second host, once", res.err)
		}
		if !strings.Contains(res.err.Error(), image("v6")+" is not on the host") {
			t.Errorf("error %q does not say the image is missing", res.err)
		}
		if evs := second.ServiceEvents("beat", since); len(evs) != 0 {
			t.Errorf("beat's containers on the second host changed: %+v", evs)
		}
		if n := second.Switches(since); n != 0 {
			t.Errorf("the second host created %d service containers", n)
		}
		var rolled bool
		for _, st := range res.rep.Steps {
			if st.Step == deploy.StepRoll {
				rolled = st.Err != ""
			}
		}
		if !rolled {
			t.Errorf("the roll step did not fail: %+v", res.rep.Steps)
		}
		serves(t, "v2")
		noLock(t)
	})

	t.Run("the second host's up fails after beat stopped: beat runs v2 again at once, both back on v2", func(t *testing.T) {
		// v7's image on the second host is damaged once pulled: listed,
		// but its containers cannot start.
		since := time.Now()
		out := &markWriter{w: &deploytest.LogWriter{T: t}, mark: "rolling back to"}
		res := deployDuring(t, r, "v7", out, func() { second.BreakImage(image("v7")) })
		if !errors.Is(res.err, deploy.ErrRolledBack) {
			t.Fatalf("deploy v7: %v, want rolled back", res.err)
		}
		if !strings.Contains(res.err.Error(), second.SSHD.Addr) || !strings.Contains(res.err.Error(), "beat started again on v2 at once") {
			t.Errorf("error %q does not say the second host's beat was started again on v2", res.err)
		}
		// v2's beat there: stopped once, by the roll; started once, by the
		// restart in the same round trip, before the rollback began; left
		// alone by the rollback.
		var stops, starts []time.Time
		for _, ev := range second.ServiceEvents("beat", since) {
			if ev.Image != image("v2") {
				continue
			}
			switch ev.Action {
			case "die":
				stops = append(stops, ev.Time)
			case "start":
				starts = append(starts, ev.Time)
			}
		}
		if len(stops) != 1 || len(starts) != 1 || !starts[0].After(stops[0]) {
			t.Fatalf("v2's beat on the second host died at %v and started at %v; want once each, in that order", stops, starts)
		}
		t.Logf("beat was down on the second host for %s", starts[0].Sub(stops[0]))
		if rolling := out.At(); rolling.IsZero() || !starts[0].Before(rolling) {
			t.Errorf("beat started again at %s, after the rollback began at %s", starts[0].Format(time.StampMicro), rolling.Format(time.StampMicro))
		}
		serves(t, "v2")
		noLock(t)
	})

	t.Run("the lock is held on the primary only; a second deploy is refused", func(t *testing.T) {
		cfg := slowConfig(r, "4")
		first := make(chan error, 1)
		go func() {
			_, err := r.Deployer(cfg, &deploytest.LogWriter{T: t}).Deploy(ctx, deploy.Options{Env: "production", Tag: "v1", Reason: "back to 1"})
			first <- err
		}()
		waitLocked(t, r.Deployer(cfg, nil))
		if !primary.Has(".gantry/lock") || second.Has(".gantry/lock") {
			t.Errorf("lock on the primary %v, on the second host %v; want only on the primary", primary.Has(".gantry/lock"), second.Has(".gantry/lock"))
		}
		out := &deploytest.LogWriter{T: t}
		_, err := r.Deployer(cfg, out).Deploy(ctx, deploy.Options{Env: "production", Tag: "v2"})
		if !errors.Is(err, deploy.ErrLocked) || !strings.Contains(err.Error(), "back to 1") {
			t.Errorf("second deploy: %v, want it locked out by the first", err)
		}
		if strings.Contains(out.String(), "upload") || strings.Contains(out.String(), "pull") {
			t.Error("the refused deploy went on after the lock")
		}
		if err := <-first; err != nil {
			t.Fatalf("first deploy: %v", err)
		}
		serves(t, "v1")
		noLock(t)
	})

	t.Run("gantry rollback returns both hosts", func(t *testing.T) {
		rep, err := r.Deployer(r.Config(), &deploytest.LogWriter{T: t}).Rollback(ctx, deploy.Options{Env: "production"})
		if err != nil {
			t.Fatalf("rollback: %v", err)
		}
		if rep.Record.Tag != "v2" || rep.Record.Previous != "v1" {
			t.Errorf("record = %+v, want v1 back to v2", rep.Record)
		}
		serves(t, "v2")
		noLock(t)
	})
}

type deployResult struct {
	rep *deploy.Report
	err error
}

// deployDuring deploys tag with a release command of 3 s, during which,
// the pulls done, it calls fault; out nil logs to the test.
func deployDuring(t *testing.T, r *deploytest.Rig, tag string, out io.Writer, fault func()) deployResult {
	t.Helper()
	if out == nil {
		out = &deploytest.LogWriter{T: t}
	}
	done := make(chan deployResult, 1)
	go func() {
		rep, err := r.Deployer(slowConfig(r, "3"), out).Deploy(context.Background(), deploy.Options{Env: "production", Tag: tag})
		done <- deployResult{rep, err}
	}()
	if err := r.Hosts[0].WaitRunning(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	fault()
	return <-done
}

// markWriter notes when a line holding mark is first written to it.
type markWriter struct {
	w    io.Writer
	mark string
	mu   sync.Mutex
	at   time.Time
}

func (m *markWriter) Write(p []byte) (int, error) {
	m.mu.Lock()
	if m.at.IsZero() && strings.Contains(string(p), m.mark) {
		m.at = time.Now()
	}
	m.mu.Unlock()
	return m.w.Write(p)
}

// At is when the mark was written (zero: not yet).
func (m *markWriter) At() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.at
}
