package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gantry-ci/gantry/internal/expr"
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
	e      *Environment
	o      Options
	log    *stepLog
	action string

	dir     string
	hosts   []Host
	remotes []Remote
	comp    []compose
	lock    Lock
	recs    []Record // the release log as read before this release
	// unlocked is set once the lock was released with the record.
	unlocked bool
}

func (s *session) primary() Remote { return s.remotes[0] }

// each runs fn for every host at once and joins the errors.
func (s *session) each(fn func(i int) error) error {
	errs := make([]error, len(s.remotes))
	var wg sync.WaitGroup
	for i := range s.remotes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(i); err != nil {
				errs[i] = fmt.Errorf("%s: %w", s.hosts[i], err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
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

// project is the compose project name: given, or app-env.
func (s *session) project() string {
	if s.e.Project != "" {
		return s.e.Project
	}
	return strings.ToLower(s.d.Config.App + "-" + s.e.Name)
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
		{StepPull, rel.image, false, func() error { return s.pull(ctx, rel, pick) }},
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
	err = s.log.run(StepRoll, strings.Join(s.services(), ", "), func() error { return s.roll(ctx, rel) })
	if err == nil {
		err = s.gate(ctx, rep, rel, vars, true)
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

// gate waits for the release's health checks, runs the post_deploy hooks
// and watches the observation window.
func (s *session) gate(ctx context.Context, rep *Report, rel release, vars expr.Lookup, hooks bool) error {
	targets := newTargets(expandChecks(s.e.Health, vars), s.remotes, s.hosts)
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

// diagnose prints the failing check's last response and the new
// containers' last log lines.
func (s *session) diagnose(ctx context.Context, rep *Report, rel release) {
	if rep.LastProbe != nil {
		s.log.printf("gantry: last response of the failing check:\n    %s\n", rep.LastProbe)
	}
	n := s.d.LogLines
	if n == 0 {
		n = 20
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	for i, r := range s.remotes {
		out, err := output(cctx, r, s.comp[i].with(s.composeVars(rel)).logs(s.services(), n)+" 2>&1", nil)
		if err != nil {
			s.log.printf("gantry: logs on %s: %v\n", s.hosts[i], err)
			continue
		}
		s.log.printf("gantry: last %d log lines of the new containers on %s:\n%s", n, s.hosts[i], indent(out))
	}
}

func indent(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString("    ")
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

// recover rolls back to prev after the switch failed.
func (s *session) recover(ctx context.Context, rep *Report, rec Record, prev *Current, cause error) (*Report, error) {
	if prev == nil {
		return s.finish(ctx, rep, rec, Degraded, fmt.Errorf("%w; no previous release to roll back to", cause), nil)
	}
	back := release{tag: prev.Tag, digest: prev.Digest, image: prev.Image}
	s.log.printf("gantry: %v\ngantry: rolling back to %s\n", cause, prev.Tag)
	err := s.log.run(StepRollback, back.image, func() error {
		if err := s.pull(ctx, back, true); err != nil {
			return err
		}
		if err := s.roll(ctx, back); err != nil {
			return err
		}
		return s.gate(ctx, &Report{}, back, s.d.vars(s.e, back, nil), false)
	})
	if err != nil {
		return s.finish(ctx, rep, rec, Degraded, fmt.Errorf("%w; the rollback to %s failed too: %v", cause, prev.Tag, err), nil)
	}
	cur := &Current{Tag: prev.Tag, Digest: prev.Digest, Image: prev.Image, Since: time.Now().UTC()}
	return s.finish(ctx, rep, rec, RolledBack, cause, cur)
}

// finish records the release, prunes old images after a success, and
// notifies. The error returned says how the release ended.
func (s *session) finish(ctx context.Context, rep *Report, rec Record, result Result, cause error, cur *Current) (*Report, error) {
	if result != Success && ctx.Err() != nil {
		result = Canceled
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	rec.End, rec.Result = time.Now().UTC(), result
	if cause != nil {
		rec.Reason = cause.Error()
	}
	switch {
	case cur != nil:
		rec.Serving = cur.Tag
	case result != Degraded:
		rec.Serving = rec.Previous
	}
	rep.Record = rec
	// Pruning and unlocking ride on the record's round trip on the primary.
	var prune string
	if result == Success {
		prune = s.pruneCmd(rec)
	}
	then := releaseLockCmd(s.dir, s.lock)
	if prune != "" {
		then += "; " + prune
	}
	if err := s.log.run(StepRecord, result.String(), func() error {
		err := appendRelease(cctx, s.primary(), s.dir, rec, cur, then)
		s.unlocked = err == nil
		return err
	}); err != nil {
		s.log.printf("gantry: WARNING: the release log on %s is missing this release: %v\n", s.hosts[0], err)
	}
	if prune != "" && len(s.remotes) > 1 {
		if err := s.log.run(StepPrune, "other hosts", func() error {
			return s.each(func(i int) error {
				if i == 0 {
					return nil
				}
				return s.remotes[i].Run(cctx, prune, nil, nil, nil)
			})
		}); err != nil {
			s.log.printf("gantry: WARNING: prune: %v\n", err)
		}
	}
	s.notify(cctx, rec)

	var err error
	switch result {
	case Success:
		s.log.printf("gantry: %s now serves %s\n", s.e.Name, rec.Tag)
		return rep, nil
	case RolledBack:
		err = fmt.Errorf("%w to %s: %v", ErrRolledBack, rec.Serving, cause)
		s.log.printf("gantry: %s FAILED, rolled back to %s\n", rec.Tag, rec.Serving)
	case Degraded:
		err = fmt.Errorf("%w: %s: %v", ErrDegraded, s.e.Name, cause)
		s.log.printf("\ngantry: !!! %s IS DEGRADED: %v\ngantry: !!! a human must look at it now\n\n", s.e.Name, cause)
	case Canceled:
		err = fmt.Errorf("%w: %v", ErrCanceled, cause)
		s.log.printf("gantry: %s of %s to %s canceled; lock released, recorded as canceled\n", s.action, rec.Tag, s.e.Name)
	default:
		err = cause
		s.log.printf("gantry: %s not deployed; %s still serves %s\n", rec.Tag, s.e.Name, orNone(rec.Previous))
	}
	return rep, err
}

func orNone(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}

func (s *session) notify(ctx context.Context, rec Record) {
	nt := s.d.Config.Notify
	if len(nt.Slack)+len(nt.Teams)+len(nt.Webhook) == 0 && nt.Email == nil {
		return
	}
	ev := Event{App: s.d.Config.App, Env: rec.Env, Action: rec.Action, Result: rec.Result, Tag: rec.Tag, Digest: rec.Digest,
		Previous: rec.Previous, Serving: rec.Serving, Who: rec.Who, Reason: rec.Reason, Duration: rec.End.Sub(rec.Start)}
	vars := s.d.vars(s.e, release{tag: rec.Tag, digest: rec.Digest, image: rec.Image}, nil)
	n := newNotifier(nt, func(v string) string { return expr.Expand(v, vars) })
	timeout := s.d.NotifyTimeout
	if timeout == 0 {
		timeout = DefaultNotifyTimeout
	}
	nctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_ = s.log.run(StepNotify, ev.kind(), func() error { // failures are warnings, printed below
		errs := n.send(nctx, ev)()
		for _, err := range errs {
			s.log.printf("gantry: WARNING: %v\n", err)
		}
		return errors.Join(errs...)
	})
}

func hostList(hs []Host) string {
	s := make([]string, len(hs))
	for i, h := range hs {
		s[i] = h.String()
	}
	return strings.Join(s, ", ")
}

// expandChecks returns the checks with their $VARIABLES expanded.
func expandChecks(checks []HealthCheck, vars expr.Lookup) []HealthCheck {
	out := make([]HealthCheck, len(checks))
	for i, c := range checks {
		c.URL = expr.Expand(c.URL, vars)
		c.Body = expr.Expand(c.Body, vars)
		c.JSONValue = expr.Expand(c.JSONValue, vars)
		c.Host = expr.Expand(c.Host, vars)
		out[i] = c
	}
	return out
}
