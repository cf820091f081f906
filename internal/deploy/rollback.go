package deploy

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// recover rolls back to prev after the switch failed: the hosts the roll
// reached, at once, ungated (getting back comes first); then the gate
// checks every host.
func (s *session) recover(ctx context.Context, rep *Report, rec Record, prev *Current, cause error) (*Report, error) {
	if prev == nil {
		return s.finish(ctx, rep, rec, Degraded, fmt.Errorf("%w; no previous release to roll back to", cause), nil)
	}
	back := release{tag: prev.Tag, digest: prev.Digest, image: prev.Image}
	s.log.printf("gantry: %v\ngantry: rolling back to %s\n", cause, prev.Tag)
	err := s.log.run(StepRollback, back.image, func() error {
		if err := s.pull(ctx, back, s.switched, true); err != nil {
			return err
		}
		if err := s.roll(ctx, back, nil, s.switched, nil); err != nil {
			return err
		}
		return s.gate(ctx, &Report{}, back, s.targets(s.d.vars(s.e, back, nil)), false)
	})
	if err != nil {
		return s.finish(ctx, rep, rec, Degraded, fmt.Errorf("%w; the rollback to %s failed too: %v", cause, prev.Tag, err), nil)
	}
	cur := &Current{Tag: prev.Tag, Digest: prev.Digest, Image: prev.Image, Since: time.Now().UTC()}
	return s.finish(ctx, rep, rec, RolledBack, cause, cur)
}

// diagnose prints the failing check's last response and the new
// containers' last log lines, on the hosts the roll reached.
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
	for i, r := range s.remotes[:s.switched] {
		out, err := output(cctx, r, s.composeFor(i, rel).logs(s.services(), n)+" 2>&1", nil)
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
