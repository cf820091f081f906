package deploy

import (
	"context"

	"github.com/gantry-ci/gantry/internal/expr"
)

// primary connects to env's primary host, which holds its lock and log.
func (d *Deployer) primary(ctx context.Context, env string) (Remote, string, error) {
	e, err := d.lookup(env)
	if err != nil {
		return nil, "", err
	}
	vars := d.vars(e, release{}, nil)
	hs, err := hosts(e, vars)
	if err != nil {
		return nil, "", err
	}
	r, err := d.Dialer.Dial(ctx, hs[0])
	if err != nil {
		return nil, "", err
	}
	return r, expr.Expand(e.Path, vars), nil
}

// Releases returns env's release log, oldest first, and the serving
// release (nil before the first deploy).
func (d *Deployer) Releases(ctx context.Context, env string) ([]Record, *Current, error) {
	r, dir, err := d.primary(ctx, env)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	cur, recs, err := readState(ctx, r, dir)
	return recs, cur, err
}

// LockStatus returns env's lock holder, or nil when it is free.
func (d *Deployer) LockStatus(ctx context.Context, env string) (*Lock, error) {
	r, dir, err := d.primary(ctx, env)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return readLock(ctx, r, dir)
}

// ForceUnlock removes env's lock whoever holds it (a deploy that died),
// and returns the holder it removed, if any.
func (d *Deployer) ForceUnlock(ctx context.Context, env string) (*Lock, error) {
	r, dir, err := d.primary(ctx, env)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	l, err := readLock(ctx, r, dir)
	if err != nil {
		// An unreadable lock is exactly what a forced release is for.
		l = nil
	}
	return l, forceReleaseLock(ctx, r, dir)
}
