package deploy_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/deploy"
	"github.com/gantry-ci/gantry/internal/deploy/deploytest"
)

// A host that lost the new release's image after the pull (removed while
// the release command ran) refuses to stop beat: on one host nothing
// switched, so the deploy fails with v1 serving and beat never down.
func TestDeployStopFirstImageMissing(t *testing.T) {
	r := deploytest.New(t)
	r.Push("v1", "v1")
	r.Push("v2", "v2")
	image := func(tag string) string { return r.Reg.Host() + "/gantry-demo@" + r.Digests[tag] }
	if _, err := r.Deployer(r.Config(), &deploytest.LogWriter{T: t}).Deploy(context.Background(), deploy.Options{Env: "production", Tag: "v1"}); err != nil {
		t.Fatalf("deploy v1: %v", err)
	}
	since := time.Now()
	out := &deploytest.LogWriter{T: t}
	res := deployDuring(t, r, "v2", out, func() { r.Hosts[0].RemoveImage(image("v2")) })
	if res.err == nil || errors.Is(res.err, deploy.ErrRolledBack) || res.rep.Record.Result != deploy.Failed {
		t.Fatalf("deploy v2: %v (result %s), want it failed before switching", res.err, res.rep.Record.Result)
	}
	for _, want := range []string{r.SSHD.Addr, image("v2") + " is not on the host", "nothing was stopped"} {
		if !strings.Contains(res.err.Error(), want) {
			t.Errorf("error %q lacks %q", res.err, want)
		}
	}
	if !strings.Contains(out.String(), "v2 not deployed; production still serves v1") {
		t.Error("the output does not say v1 still serves")
	}
	for _, st := range res.rep.Steps {
		if st.Step == deploy.StepRollback {
			t.Error("a rollback ran, with nothing switched")
		}
	}
	if evs := r.Hosts[0].ServiceEvents("beat", since); len(evs) != 0 {
		t.Errorf("beat's containers changed: %+v", evs)
	}
	if n := r.Hosts[0].Switches(since); n != 0 {
		t.Errorf("%d service containers were created", n)
	}
	if got := r.Serving(); got != "v1/ok" {
		t.Errorf("serving %s, want v1/ok", got)
	}
	checkContainers(t, r)
}
