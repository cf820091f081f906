package deploy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// Lock is who holds an environment, written atomically on its primary
// host at <path>/.gantry/lock.
type Lock struct {
	ID      string    `json:"id"` // random; only its holder releases it
	Env     string    `json:"env"`
	Who     string    `json:"who"`
	Machine string    `json:"machine"`
	PID     int       `json:"pid"`
	Since   time.Time `json:"since"`
	Action  string    `json:"action"` // deploy or rollback
	Tag     string    `json:"tag"`
	Reason  string    `json:"reason,omitempty"`
}

func newLock(env, who, action, tag, reason string) Lock {
	var b [12]byte
	_, _ = rand.Read(b[:])   // crypto/rand.Read never fails on Linux
	host, _ := os.Hostname() // an empty machine name is only less helpful
	return Lock{ID: hex.EncodeToString(b[:]), Env: env, Who: who, Machine: host, PID: os.Getpid(),
		Since: time.Now().UTC().Truncate(time.Second), Action: action, Tag: tag, Reason: reason}
}

// lockPollEvery is how often --lock-wait retries.
const lockPollEvery = 500 * time.Millisecond

// acquireLock takes env's lock on r, waiting up to wait for a holder to
// release it. The hard link makes creation atomic and the lock file
// complete from its first instant.
func acquireLock(ctx context.Context, r Remote, dir string, l Lock, wait time.Duration) error {
	body, err := json.Marshal(l)
	if err != nil {
		return err
	}
	state := shellQuote(dir + "/.gantry")
	cmd := "mkdir -p " + state + " && cd " + state + ` && t=lock.$$ && cat > "$t" && if ln "$t" lock 2>/dev/null; then rm -f "$t"; echo acquired; else rm -f "$t"; echo held; cat lock; fi`
	deadline := time.Now().Add(wait)
	for {
		out, err := output(ctx, r, cmd, strings.NewReader(string(body)+"\n"))
		if err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		status, holder, _ := strings.Cut(out, "\n")
		if strings.TrimSpace(status) == "acquired" {
			return nil
		}
		var h Lock
		if err := json.Unmarshal([]byte(holder), &h); err != nil {
			h = Lock{Who: "unknown (unreadable lock file)", Reason: strings.TrimSpace(holder)}
		}
		if time.Now().After(deadline) {
			return &LockedError{Env: l.Env, Holder: h}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(lockPollEvery):
		}
	}
}

// releaseLock removes the lock only if it is still ours (id matches), so
// that a forced release followed by another deploy is never undone.
func releaseLock(ctx context.Context, r Remote, dir string, l Lock) error {
	f := shellQuote(dir + "/.gantry/lock")
	cmd := "grep -q " + shellQuote(`"id":"`+l.ID+`"`) + " " + f + " 2>/dev/null && rm -f " + f + "; true"
	if err := r.Run(ctx, cmd, nil, nil, nil); err != nil {
		return fmt.Errorf("release lock: %w", err)
	}
	return nil
}

// readLock returns the current holder, or nil when the environment is free.
func readLock(ctx context.Context, r Remote, dir string) (*Lock, error) {
	out, err := output(ctx, r, "cat "+shellQuote(dir+"/.gantry/lock")+" 2>/dev/null; true", nil)
	if err != nil {
		return nil, fmt.Errorf("read lock: %w", err)
	}
	if strings.TrimSpace(out) == "" {
		return nil, nil
	}
	var l Lock
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		return nil, fmt.Errorf("read lock: %w", errors.Join(err, fmt.Errorf("content: %q", out)))
	}
	return &l, nil
}

// forceReleaseLock removes the lock whoever holds it.
func forceReleaseLock(ctx context.Context, r Remote, dir string) error {
	if err := r.Run(ctx, "rm -f "+shellQuote(dir+"/.gantry/lock"), nil, nil, nil); err != nil {
		return fmt.Errorf("release lock: %w", err)
	}
	return nil
}
