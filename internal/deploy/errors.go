package deploy

import (
	"errors"
	"fmt"
)

// Sentinel errors, tested with errors.Is; the CLI maps them to exit codes.
var (
	// ErrLocked means another deploy holds the environment's lock.
	ErrLocked = errors.New("environment is locked")
	// ErrNotApproved means a protected environment was deployed without
	// approval.
	ErrNotApproved = errors.New("protected environment needs approval")
	// ErrHostKey means a host's key is unknown or does not match
	// known_hosts: nothing was run on it.
	ErrHostKey = errors.New("host key verification failed")
	// ErrUnhealthy means the new release failed its health gate.
	ErrUnhealthy = errors.New("release is unhealthy")
	// ErrRolledBack means the release failed and the previous one serves
	// again.
	ErrRolledBack = errors.New("rolled back")
	// ErrDegraded means the release failed and so did the rollback: the
	// environment needs a human.
	ErrDegraded = errors.New("environment degraded")
	// ErrCanceled means the deploy was interrupted (SIGINT/SIGTERM).
	ErrCanceled = errors.New("deploy canceled")
	// ErrNoRelease means there is no release to roll back to.
	ErrNoRelease = errors.New("no release to roll back to")
)

// LockedError carries the holder of a lock.
type LockedError struct {
	Env    string
	Holder Lock
}

func (e *LockedError) Error() string {
	h := e.Holder
	why := ""
	if h.Reason != "" {
		why = ": " + h.Reason
	}
	return fmt.Sprintf("%s is locked by %s since %s (%s of %s, pid %d on %s)%s; wait with --lock-wait, or if that deploy is dead, gantry lock release %s",
		e.Env, h.Who, h.Since.Format("2006-01-02 15:04:05 MST"), h.Action, h.Tag, h.PID, h.Machine, why, e.Env)
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }
