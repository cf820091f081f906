package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/gantry-ci/gantry/internal/expr"
	"github.com/gantry-ci/gantry/internal/gantryfile"
)

// Resolver turns an image reference (repository:tag) into the digest of
// its manifest in the registry, so that every host runs the same bytes.
type Resolver interface {
	Resolve(ctx context.Context, ref string) (digest string, err error)
}

// ResolverFunc adapts a function to Resolver.
type ResolverFunc func(ctx context.Context, ref string) (string, error)

// Resolve calls f.
func (f ResolverFunc) Resolve(ctx context.Context, ref string) (string, error) { return f(ctx, ref) }

// Deployer deploys and rolls back the environments of one Config.
type Deployer struct {
	Config *Config
	// Dir is the repository root: compose and env files are relative to it.
	Dir      string
	Dialer   Dialer
	Resolver Resolver
	// Out receives the progress lines for humans (nil: silent).
	Out io.Writer
	// Who is recorded as the deploy's author (default user@machine).
	Who string
	// Vars looks up variables for $NAME in gantry.yml after the release's
	// own (default os.LookupEnv).
	Vars expr.Lookup
	// NotifyTimeout bounds how long the result waits for notifications.
	NotifyTimeout time.Duration
	// LogLines is how many lines of the new containers' logs a failure
	// prints (default 20).
	LogLines int
}

// Options select what Deploy and Rollback do.
type Options struct {
	Env string
	// Tag is the image tag to deploy (usually the commit SHA).
	Tag string
	// To is the release (tag) a rollback returns to; empty means the one
	// before the serving release.
	To       string
	Approve  bool
	Reason   string
	LockWait time.Duration
	DryRun   bool
}

// release is an image about to serve.
type release struct {
	tag, digest, image string
}

func (d *Deployer) who() string {
	if d.Who != "" {
		return d.Who
	}
	u := os.Getenv("GITLAB_USER_LOGIN")
	if u == "" {
		u = os.Getenv("USER")
	}
	if u == "" {
		if cu, err := user.Current(); err == nil {
			u = cu.Username
		}
	}
	h, _ := os.Hostname() // an empty machine name only shortens the record
	return u + "@" + h
}

// lookup returns the environment named name, or an error listing those
// there are.
func (d *Deployer) lookup(name string) (*gantryfile.Environment, error) {
	e := d.Config.Env(name)
	if e == nil {
		return nil, fmt.Errorf("%s: no environment %q (have: %s)", d.Config.Name, name, strings.Join(d.Config.EnvNames(), ", "))
	}
	return e, nil
}

// env returns o's environment, refusing a protected one without approval.
func (d *Deployer) env(o Options) (*gantryfile.Environment, error) {
	e, err := d.lookup(o.Env)
	if err != nil {
		return nil, err
	}
	if e.Protected && !o.Approve && !o.DryRun {
		return nil, fmt.Errorf("%w: %s is protected (%s); add --approve", ErrNotApproved, e.Name, e.Pos)
	}
	return e, nil
}

// releaseVars are the variables a release defines for gantry.yml, hooks
// and notifications.
func (d *Deployer) releaseVars(e *gantryfile.Environment, r release, prev *Current) map[string]string {
	own := map[string]string{
		"GANTRY_APP": d.Config.App, "GANTRY_ENV": e.Name, "CI_ENVIRONMENT_NAME": e.Name,
		"GANTRY_TAG": r.tag, "GANTRY_DIGEST": r.digest, "GANTRY_IMAGE": r.image,
		"IMAGE": r.image, "IMAGE_TAG": r.tag, "IMAGE_DIGEST": r.digest,
	}
	if prev != nil {
		own["GANTRY_PREVIOUS"] = prev.Tag
		own["GANTRY_PREVIOUS_DIGEST"] = prev.Digest
	}
	outer := d.outer()
	for _, v := range e.Variables {
		own[v.Name] = expr.Expand(v.Value, func(name string) (string, bool) {
			if v, ok := own[name]; ok {
				return v, true
			}
			return outer(name)
		})
	}
	return own
}

func (d *Deployer) outer() expr.Lookup {
	if d.Vars != nil {
		return d.Vars
	}
	return os.LookupEnv
}

// vars returns the lookup for $NAME in gantry.yml: the release's
// variables first, then d.Vars.
func (d *Deployer) vars(e *gantryfile.Environment, r release, prev *Current) expr.Lookup {
	own := d.releaseVars(e, r, prev)
	outer := d.outer()
	return func(name string) (string, bool) {
		if v, ok := own[name]; ok {
			return v, true
		}
		return outer(name)
	}
}

// composeVars are what the compose files see: ${IMAGE} is the release
// pinned by digest, ${IMAGE_TAG} keeps deploy.sh-style files working, and
// the environment's variables.
func (s *session) composeVars(r release) map[string]string {
	m := map[string]string{"IMAGE": r.image, "IMAGE_TAG": r.tag, "IMAGE_DIGEST": r.digest}
	all := s.d.releaseVars(s.e, r, nil)
	for _, v := range s.e.Variables {
		m[v.Name] = all[v.Name]
	}
	return m
}

// hosts expands and parses the environment's hosts.
func hosts(e *gantryfile.Environment, vars expr.Lookup) ([]gantryfile.Host, error) {
	out := make([]gantryfile.Host, 0, len(e.Hosts))
	for _, h := range e.Hosts {
		if !strings.Contains(h.Raw, "$") {
			out = append(out, h)
			continue
		}
		s := expr.Expand(h.Raw, vars)
		p, msg := gantryfile.ParseHost(s)
		if msg != "" {
			return nil, fmt.Errorf("%s: host %q (from %q): %s", h.Pos, s, h.Raw, msg)
		}
		p.Pos, p.Raw = h.Pos, h.Raw
		out = append(out, p)
	}
	return out, nil
}

// Deploy ships o.Tag to o.Env: the whole health-gated sequence, with
// automatic rollback. The error is nil only when the new release serves;
// the report is returned whenever the deploy started.
func (d *Deployer) Deploy(ctx context.Context, o Options) (*Report, error) {
	e, err := d.env(o)
	if err != nil {
		return nil, err
	}
	if o.Tag == "" {
		return nil, errors.New("no tag to deploy: give --tag (in a pipeline, --tag $CI_COMMIT_SHA)")
	}
	log := &stepLog{out: d.Out}
	repo := expr.Expand(d.Config.Image, d.outer())
	ref := repo + ":" + o.Tag
	log.printf("gantry: deploy %s to %s\n", ref, e.Name)
	var rel release
	err = log.run(StepResolve, ref, func() error {
		if d.Resolver == nil {
			return errors.New("no registry resolver configured")
		}
		dg, err := d.Resolver.Resolve(ctx, ref)
		if err != nil {
			return fmt.Errorf("resolve %s: %w", ref, err)
		}
		rel = release{tag: o.Tag, digest: dg, image: repo + "@" + dg}
		return nil
	})
	if err != nil {
		return &Report{Steps: log.steps}, err
	}
	s := &session{d: d, e: e, o: o, log: log, action: "deploy"}
	return s.run(ctx, rel, false)
}

// Rollback returns o.Env to an earlier release (o.To, or the one before the
// serving one) through the same locked, health-gated path as Deploy, the
// release commands skipped.
func (d *Deployer) Rollback(ctx context.Context, o Options) (*Report, error) {
	e, err := d.env(o)
	if err != nil {
		return nil, err
	}
	log := &stepLog{out: d.Out}
	log.printf("gantry: roll %s back\n", e.Name)
	s := &session{d: d, e: e, o: o, log: log, action: "rollback"}
	return s.run(ctx, release{}, true)
}

// pickRollback finds the release to roll back to in the log: the newest
// successful one whose tag is to (a prefix of at least 7 characters is
// enough), or, without to, the newest successful one that is not cur.
func pickRollback(recs []Record, cur *Current, to string) (release, error) {
	for i := len(recs) - 1; i >= 0; i-- {
		r := recs[i]
		if r.Result != Success || r.Digest == "" {
			continue
		}
		if to != "" {
			if r.Tag == to || (len(to) >= 7 && strings.HasPrefix(r.Tag, to)) {
				return release{tag: r.Tag, digest: r.Digest, image: r.Image}, nil
			}
			continue
		}
		if cur != nil && r.Digest == cur.Digest {
			continue
		}
		return release{tag: r.Tag, digest: r.Digest, image: r.Image}, nil
	}
	if to != "" {
		return release{}, fmt.Errorf("%w: no successful release %q in the history (see gantry releases)", ErrNoRelease, to)
	}
	return release{}, fmt.Errorf("%w: the history has no successful release before the serving one", ErrNoRelease)
}
