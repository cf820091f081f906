package deploy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gantry-ci/gantry/internal/expr"
)

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
