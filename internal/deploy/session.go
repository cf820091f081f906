package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gantry-ci/gantry/internal/expr"
	"github.com/gantry-ci/gantry/internal/gantryfile"
)

// uploadMarker separates the state from the upload's output in the lock's
// round trip.
const uploadMarker = "--gantry-upload--"

// cleanupTimeout bounds the work done after a failure or a cancel
// (recording, unlocking) with a context of its own.
const cleanupTimeout = 15 * time.Second

// session is one deploy or rollback of one environment.
type session struct {
	d      *Deployer
	e      *gantryfile.Environment
	o      Options
	log    *stepLog
	action string

	dir     string
	hosts   []gantryfile.Host
	remotes []Remote
	comp    []compose
	lock    Lock
	recs    []Record // the release log as read before this release
	// switched is how many hosts, in order, a roll has reached: those a
	// rollback returns, the last one perhaps switched in part.
	switched int
	// unlocked is set once the lock was released with the record.
	unlocked bool
}

func (s *session) primary() Remote { return s.remotes[0] }

// each runs fn for every host at once and joins the errors.
func (s *session) each(fn func(i int) error) error {
	return s.eachOf(len(s.remotes), fn)
}

// eachOf runs fn for the first n hosts at once and joins the errors.
func (s *session) eachOf(n int, fn func(i int) error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(i); err != nil {
				errs[i] = onHost(s.hosts[i], err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// onHost names host h in err, unless err names it first already (as an
// *ExitError and the SSH errors of its Remote do).
func onHost(h gantryfile.Host, err error) error {
	msg := err.Error()
	if strings.HasPrefix(msg, h.String()+": ") || strings.HasPrefix(msg, "ssh "+h.String()+": ") {
		return err
	}
	return fmt.Errorf("%s: %w", h, err)
}

func (s *session) connect(ctx context.Context) error {
	s.remotes = make([]Remote, len(s.hosts))
	errs := make([]error, len(s.hosts))
	var wg sync.WaitGroup
	for i, h := range s.hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.remotes[i], errs[i] = s.d.Dialer.Dial(ctx, h)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		s.close()
		return err
	}
	return nil
}

func (s *session) close() {
	for _, r := range s.remotes {
		if r != nil {
			r.Close()
		}
	}
	s.remotes = nil
}

// project is the compose project name: given, or app-env, as compose
// accepts it (see composeProject).
func (s *session) project() string {
	if s.e.Project != "" {
		return composeProject(s.e.Project)
	}
	return composeProject(s.d.Config.App + "-" + s.e.Name)
}

func (s *session) services() []string {
	names := make([]string, len(s.e.Services))
	for i, sv := range s.e.Services {
		names[i] = sv.Name
	}
	return names
}

// run is the sequence shared by deploy and rollback. For a rollback
// (pick), rel is found in the release log once the lock is held.
func (s *session) run(ctx context.Context, rel release, pick bool) (*Report, error) {
	rep := &Report{}
	defer func() { rep.Steps = s.log.steps }()
	vars := s.d.vars(s.e, rel, nil)
	var err error
	if s.hosts, err = hosts(s.e, vars); err != nil {
		return rep, err
	}
	s.dir = expr.Expand(s.e.Path, vars)
	if s.project() == "" {
		return rep, fmt.Errorf("%s: environment %s: its compose project name has no letter or digit; set project: to one that has", s.e.Pos, s.e.Name)
	}
	// pre_deploy hooks run first: they may stop a deploy before anything,
	// the lock included, is touched. A rollback skips them.
	if hooks := s.d.Config.Hooks.PreDeploy; len(hooks) > 0 && !pick && !s.o.DryRun {
		if err := s.log.run(StepHooks, "pre_deploy", func() error {
			return runHooks(ctx, s.d.Dir, hooks, s.d.releaseVars(s.e, rel, nil), s.d.Out)
		}); err != nil {
			return rep, fmt.Errorf("pre_deploy hook: %w", err)
		}
	}
	if err := s.log.run(StepConnect, hostList(s.hosts), func() error { return s.connect(ctx) }); err != nil {
		return rep, err
	}
	defer s.close()
	if s.o.DryRun {
		return rep, s.dryRun(ctx, rel, pick)
	}

	s.lock = newLock(s.e.Name, s.d.who(), s.action, rel.tag, s.o.Reason)
	if pick {
		s.lock.Tag = s.o.To
	}
	// Local files are read before locking, so a missing one locks nothing.
	b, err := s.bundle()
	if err != nil {
		return rep, fmt.Errorf("upload: %w", err)
	}
	s.comp = make([]compose, len(s.remotes))
	var state string
	if err := s.log.run(StepLock, s.e.Name+" on "+s.hosts[0].String(), func() error {
		// One round trip: lock, read the state, upload to the primary.
		out, err := acquireLock(ctx, s.primary(), s.dir, s.lock, s.o.LockWait,
			stateCmd(s.dir)+"; echo "+uploadMarker+" && { "+b.cmd+"; }", b.tar)
		if err != nil {
			return err
		}
		var detect string
		state, detect, _ = strings.Cut(out, uploadMarker+"\n")
		s.uploaded(0, b, detect)
		return nil
	}); err != nil {
		return rep, err
	}
	defer func() {
		if s.unlocked {
			return
		}
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		if err := releaseLock(cctx, s.primary(), s.dir, s.lock); err != nil {
			s.log.printf("gantry: WARNING: %v; free it with gantry lock release %s\n", err, s.e.Name)
		}
	}()

	rec := Record{Env: s.e.Name, Action: s.action, Who: s.lock.Who, Start: time.Now().UTC(), Reason: s.o.Reason}
	var (
		prev *Current
		recs []Record
	)
	// Read in the lock's round trip: this step only parses.
	err = s.log.run(StepPrevious, s.dir+"/.gantry", func() error {
		var err error
		if prev, recs, err = parseState(s.dir, state); err != nil {
			return err
		}
		s.recs = recs
		if pick {
			rel, err = pickRollback(recs, prev, s.o.To)
		}
		return err
	})
	if pick && err == nil {
		s.log.printf("gantry: roll %s back to %s (%s)\n", s.e.Name, rel.tag, rel.image)
	}
	rec.Tag, rec.Digest, rec.Image = rel.tag, rel.digest, rel.image
	if prev != nil {
		rec.Previous, rec.PreviousDigest = prev.Tag, prev.Digest
	}
	if err != nil {
		if errors.Is(err, ErrNoRelease) {
			return rep, err // nothing happened worth a record
		}
		return s.finish(ctx, rep, rec, Failed, err, nil)
	}
	vars = s.d.vars(s.e, rel, prev)

	steps := []struct {
		step   Step
		detail string
		skip   bool
		fn     func() error
	}{
		{StepUpload, s.uploadDetail() + " (the primary's with the lock)", false, func() error { return s.upload(ctx, b) }},
		{StepPull, rel.image, false, func() error { return s.pull(ctx, rel, len(s.remotes), pick) }},
		{StepRelease, strings.Join(s.e.Release.Commands, "; "), pick || len(s.e.Release.Commands) == 0, func() error {
			return s.releaseCommands(ctx, rel)
		}},
	}
	for _, st := range steps {
		if st.skip {
			continue
		}
		if err := s.log.run(st.step, st.detail, st.fn); err != nil {
			return s.finish(ctx, rep, rec, Failed, fmt.Errorf("%s: %w", st.step, err), nil)
		}
	}

	// From here on the environment changes: a failure rolls back.
	targets := s.targets(vars)
	detail := strings.Join(s.services(), ", ")
	if len(s.remotes) > 1 {
		detail += " on each host in turn"
		if len(through(targets, 0)) > 0 {
			detail += ", gated by its checks"
		}
	}
	var serving *release
	if prev != nil {
		serving = &release{tag: prev.Tag, digest: prev.Digest, image: prev.Image}
	}
	err = s.log.run(StepRoll, detail, func() error {
		return s.roll(ctx, rel, serving, len(s.remotes), func(i int) error { return s.hostGate(ctx, rep, targets, i) })
	})
	if err != nil && s.switched == 0 && ctx.Err() == nil {
		// The first host refused before changing anything (its image was
		// gone): there is nothing to roll back.
		return s.finish(ctx, rep, rec, Failed, fmt.Errorf("%s: %w", StepRoll, err), nil)
	}
	if err == nil {
		err = s.gate(ctx, rep, rel, targets, true)
	}
	if err != nil {
		if ctx.Err() != nil {
			return s.finish(ctx, rep, rec, Canceled, fmt.Errorf("%s switched part way; check it: %w", s.e.Name, err), nil)
		}
		s.diagnose(ctx, rep, rel)
		return s.recover(ctx, rep, rec, prev, err)
	}
	cur := &Current{Tag: rel.tag, Digest: rel.digest, Image: rel.image, Since: time.Now().UTC()}
	rep2, err := s.finish(ctx, rep, rec, Success, nil, cur)
	return rep2, err
}

// hostGate waits for the checks that go through host i, before the roll
// moves on to the next host: a release unhealthy there goes no further.
// The last host's checks are left to gate, with the others.
func (s *session) hostGate(ctx context.Context, rep *Report, targets []target, i int) error {
	own := through(targets, i)
	if i == len(s.remotes)-1 || len(own) == 0 {
		return nil
	}
	start := time.Now()
	p, err := waitHealthy(ctx, own)
	if err != nil {
		rep.LastProbe = &p
		return fmt.Errorf("%s: %w", s.hosts[i], err)
	}
	s.log.printf("  %-8s %-6s %6.2fs  %s: %d checks, on to the next host\n", StepHealth, "ok", time.Since(start).Seconds(), s.hosts[i], len(own))
	return nil
}

// targets binds the environment's health checks, expanded with vars, to
// where each runs from.
func (s *session) targets(vars expr.Lookup) []target {
	return newTargets(expandChecks(s.e.Health, vars), s.remotes, s.hosts)
}

// gate waits for the release's health checks (targets), runs the
// post_deploy hooks and watches the observation window.
func (s *session) gate(ctx context.Context, rep *Report, rel release, targets []target, hooks bool) error {
	if len(targets) == 0 {
		return nil
	}
	err := s.log.run(StepHealth, fmt.Sprintf("%d checks", len(targets)), func() error {
		p, err := waitHealthy(ctx, targets)
		if err != nil {
			rep.LastProbe = &p
		}
		return err
	})
	if err != nil {
		return err
	}
	if hooks && len(s.d.Config.Hooks.PostDeploy) > 0 {
		if err := s.log.run(StepHooks, "post_deploy", func() error {
			return runHooks(ctx, s.d.Dir, s.d.Config.Hooks.PostDeploy, s.d.releaseVars(s.e, rel, nil), s.d.Out)
		}); err != nil {
			return fmt.Errorf("post_deploy hook: %w", err)
		}
	}
	if s.e.Observe.Samples == 0 {
		return nil
	}
	return s.log.run(StepObserve, fmt.Sprintf("%d samples every %s", s.e.Observe.Samples, s.e.Observe.Interval), func() error {
		p, err := observe(ctx, targets, s.e.Observe)
		if err != nil {
			rep.LastProbe = &p
		}
		return err
	})
}

func hostList(hs []gantryfile.Host) string {
	s := make([]string, len(hs))
	for i, h := range hs {
		s[i] = h.String()
	}
	return strings.Join(s, ", ")
}

// expandChecks returns the checks with their $VARIABLES expanded.
func expandChecks(checks []gantryfile.HealthCheck, vars expr.Lookup) []gantryfile.HealthCheck {
	out := make([]gantryfile.HealthCheck, len(checks))
	for i, c := range checks {
		c.URL = expr.Expand(c.URL, vars)
		c.Body = expr.Expand(c.Body, vars)
		c.JSONValue = expr.Expand(c.JSONValue, vars)
		c.Host = expr.Expand(c.Host, vars)
		out[i] = c
	}
	return out
}
