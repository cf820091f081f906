package deploy

import (
	"context"
	"fmt"
	"strings"
)

// dryRun prints what the deploy would do, reading the hosts' state
// (lock, serving release) and changing nothing.
func (s *session) dryRun(ctx context.Context, rel release, pick bool) error {
	p := s.log.printf
	r := s.primary()
	l, err := readLock(ctx, r, s.dir)
	if err != nil {
		return err
	}
	cur, recs, err := readState(ctx, r, s.dir)
	if err != nil {
		return err
	}
	if pick {
		if rel, err = pickRollback(recs, cur, s.o.To); err != nil {
			return err
		}
	}
	bins := make([]string, len(s.remotes))
	if err := s.each(func(i int) error {
		var err error
		bins[i], err = detectCompose(ctx, s.remotes[i], s.setsDockerConfig())
		return err
	}); err != nil {
		return err
	}
	p("\ndry run: %s of %s to %s, nothing changed\n", s.action, rel.image, s.e.Name)
	if l != nil {
		p("  lock:     HELD by %s since %s (%s %s): this deploy would be refused or wait\n", l.Who, l.Since.Format("2006-01-02 15:04:05"), l.Action, l.Tag)
	} else {
		p("  lock:     free; would lock %s on %s\n", s.e.Name, s.hosts[0])
	}
	if n := len(recs); n > 0 && recs[n-1].Result == Degraded {
		p("  state:    DEGRADED since %s (%s of %s): %s\n", recs[n-1].End.Format("2006-01-02 15:04:05"), recs[n-1].Action, recs[n-1].Tag, recs[n-1].Reason)
	}
	if cur != nil {
		p("  serving:  %s (%s), the rollback target\n", cur.Tag, cur.Image)
	} else {
		p("  serving:  nothing recorded (first deploy: a failure cannot roll back)\n")
	}
	p("  upload:   %s\n", s.uploadDetail())
	if s.e.Protected {
		p("  protected: needs --approve\n")
	}
	for i := range s.remotes {
		// The environment's variables are shown as written: their values
		// may come from secrets.
		vars := s.composeVars(rel)
		for _, v := range s.e.Variables {
			vars[v.Name] = v.Value
		}
		c := compose{bin: bins[i], dir: s.dir, project: s.project(), vars: vars}
		for _, f := range s.files() {
			if f.mode != 0o600 {
				c.files = append(c.files, f.name)
			}
		}
		p("  on %s:\n", s.hosts[i])
		if !pick {
			p("    %s\n", c.pull(s.services()))
		}
		if i == 0 && !pick {
			for _, cmd := range s.e.Release.Commands {
				p("    %s\n", c.run(s.e.Release.Service, cmd))
			}
		}
		var back *compose
		if cur != nil {
			b := c.with(s.composeVars(release{tag: cur.Tag, digest: cur.Digest, image: cur.Image}))
			for _, v := range s.e.Variables {
				b.vars[v.Name] = v.Value
			}
			back = &b
		}
		p("    %s\n", c.roll(s.e.Services, rel.image, back))
	}
	vars := s.d.vars(s.e, rel, cur)
	for _, c := range expandChecks(s.e.Health, vars) {
		var want []string
		want = append(want, fmt.Sprint(c.Status))
		if c.Body != "" {
			want = append(want, fmt.Sprintf("body contains %q", c.Body))
		}
		if c.JSONField != "" {
			want = append(want, fmt.Sprintf("%s == %q", c.JSONField, c.JSONValue))
		}
		via := "local"
		if c.ViaSSH {
			via = "ssh"
		}
		p("  health:   GET %s via %s, want %s, within %s\n", c.URL, via, strings.Join(want, ", "), c.Deadline)
	}
	if o := s.e.Observe; o.Samples > 0 {
		p("  observe:  %d samples every %s, at most %d failed\n", o.Samples, o.Interval, o.MaxFailures)
	}
	return nil
}
