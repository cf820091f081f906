package deploy

import (
	"bytes"
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
// release it, then runs then with stdin (reading the state and uploading
// in the same round trip) and returns its output. The hard link makes
// creation atomic and the lock file complete from its first instant.
func acquireLock(ctx context.Context, r Remote, dir string, l Lock, wait time.Duration, then string, stdin []byte) (string, error) {
	body, err := json.Marshal(l)
	if err != nil {
		return "", err
	}
	state := shellQuote(dir + "/.gantry")
	cmd := "mkdir -p " + state + " && cd " + state + ` && t=lock.$$ && IFS= read -r l && printf '%s\n' "$l" > "$t" && if ln "$t" lock 2>/dev/null; then rm -f "$t"; echo acquired; ` + then + `; else rm -f "$t"; echo held; cat lock; fi`
	deadline := time.Now().Add(wait)
	for {
		in := append(append(body, '\n'), stdin...)
		out, err := output(ctx, r, cmd, bytes.NewReader(in))
		if err != nil {
			return "", fmt.Errorf("lock: %w", err)
		}
		status, holder, _ := strings.Cut(out, "\n")
		if strings.TrimSpace(status) == "acquired" {
			return holder, nil
		}
		var h Lock
		if err := json.Unmarshal([]byte(holder), &h); err != nil {
			h = Lock{Who: "unknown (unreadable lock file)", Reason: strings.TrimSpace(holder)}
		}
		if err := waitFree(ctx, r, dir, deadline); err != nil {
			if errors.Is(err, errStillHeld) {
				return "", &LockedError{Env: l.Env, Holder: h}
			}
			return "", err
		}
	}
}

var errStillHeld = errors.New("lock still held")

// waitFree polls the lock file alone (not the upload that comes with a
// take) until it is gone, or returns errStillHeld once deadline passes.
func waitFree(ctx context.Context, r Remote, dir string, deadline time.Time) error {
	for {
		if time.Now().After(deadline) {
			return errStillHeld
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(lockPollEvery):
		}
		held, err := readLock(ctx, r, dir)
		if err == nil && held == nil {
			return nil
		}
	}
}

// releaseLock removes the lock only if it is still ours (id matches), so
// that a forced release followed by another deploy is never undone.
func releaseLock(ctx context.Context, r Remote, dir string, l Lock) error {
	if err := r.Run(ctx, releaseLockCmd(dir, l), nil, nil, nil); err != nil {
		return fmt.Errorf("release lock: %w", err)
	}
	return nil
}

func releaseLockCmd(dir string, l Lock) string {
	f := shellQuote(dir + "/.gantry/lock")
	return "if grep -q " + shellQuote(`"id":"`+l.ID+`"`) + " " + f + " 2>/dev/null; then rm -f " + f + "; fi"
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
