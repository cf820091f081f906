package deploy

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Result is how a deploy or rollback ended.
type Result int

// The results of a release, as recorded and notified.
const (
	Running Result = iota
	// Success: the release is healthy and serves.
	Success
	// Failed: it stopped before switching anything; the previous release
	// still serves.
	Failed
	// RolledBack: it switched, failed its gate, and the previous release
	// serves again.
	RolledBack
	// Degraded: it failed and so did the rollback; a human must look.
	Degraded
	// Canceled: interrupted by SIGINT/SIGTERM.
	Canceled
)

var resultNames = [...]string{"running", "success", "failed", "rolled_back", "degraded", "canceled"}

func (r Result) String() string {
	if int(r) < len(resultNames) {
		return resultNames[r]
	}
	return fmt.Sprintf("result(%d)", int(r))
}

// MarshalText writes the result's name.
func (r Result) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads a result's name.
func (r *Result) UnmarshalText(b []byte) error {
	for i, n := range resultNames {
		if n == string(b) {
			*r = Result(i)
			return nil
		}
	}
	return fmt.Errorf("unknown release result %q", b)
}

// Record is one line of an environment's release log, kept on its primary
// host at <path>/.gantry/releases.jsonl.
type Record struct {
	Env            string    `json:"env"`
	Action         string    `json:"action"` // deploy or rollback
	Tag            string    `json:"sha"`
	Digest         string    `json:"digest"`
	Image          string    `json:"image"`
	Previous       string    `json:"previous,omitempty"`
	PreviousDigest string    `json:"previous_digest,omitempty"`
	Who            string    `json:"who"`
	Start          time.Time `json:"start"`
	End            time.Time `json:"end"`
	Result         Result    `json:"result"`
	Reason         string    `json:"reason,omitempty"`
	// Serving is the tag serving when the record was written (the new
	// one, or the previous one after a rollback).
	Serving string `json:"serving,omitempty"`
}

// Current is the release serving an environment, at
// <path>/.gantry/current.json.
type Current struct {
	Tag    string    `json:"sha"`
	Digest string    `json:"digest"`
	Image  string    `json:"image"`
	Since  time.Time `json:"since"`
}

func stateFile(dir, name string) string { return shellQuote(dir + "/.gantry/" + name) }

// stateMarker separates current.json from releases.jsonl in stateCmd's
// output; neither JSON document can contain it at the start of a line.
const stateMarker = "--gantry-releases--"

// stateCmd prints the serving release and the release log in one round
// trip; parseState reads its output.
func stateCmd(dir string) string {
	return "cat " + stateFile(dir, "current.json") + " 2>/dev/null; echo; echo " + stateMarker + "; cat " + stateFile(dir, "releases.jsonl") + " 2>/dev/null; true"
}

// readState returns the serving release (nil before the first deploy) and
// the release log, oldest first.
func readState(ctx context.Context, r Remote, dir string) (*Current, []Record, error) {
	out, err := output(ctx, r, stateCmd(dir), nil)
	if err != nil {
		return nil, nil, fmt.Errorf("read releases: %w", err)
	}
	return parseState(dir, out)
}

func parseState(dir, out string) (*Current, []Record, error) {
	cur, log, ok := strings.Cut(out, "\n"+stateMarker+"\n")
	if !ok {
		return nil, nil, fmt.Errorf("read releases: unexpected output %q", out)
	}
	var c *Current
	if strings.TrimSpace(cur) != "" {
		c = &Current{}
		if err := json.Unmarshal([]byte(cur), c); err != nil {
			return nil, nil, fmt.Errorf("read current release: %s/.gantry/current.json: %w", dir, err)
		}
	}
	var recs []Record
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var rec Record
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			return nil, nil, fmt.Errorf("read releases: %s/.gantry/releases.jsonl:%d: %w", dir, n, err)
		}
		recs = append(recs, rec)
	}
	return c, recs, nil
}

// appendRelease adds rec to the log and, when cur is set, makes it the
// serving release, in one round trip; then runs then, if set (pruning).
func appendRelease(ctx context.Context, r Remote, dir string, rec Record, cur *Current, then string) error {
	line, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	input := string(line) + "\n"
	cmd := "mkdir -p " + shellQuote(dir+"/.gantry") + " && IFS= read -r l && printf '%s\\n' \"$l\" >> " + stateFile(dir, "releases.jsonl")
	if cur != nil {
		c, err := json.Marshal(cur)
		if err != nil {
			return err
		}
		input += string(c) + "\n"
		cmd += " && t=" + stateFile(dir, "current.json.$$") + ` && cat > "$t" && mv "$t" ` + stateFile(dir, "current.json")
	}
	if then != "" {
		cmd += " && { " + then + "; }"
	}
	if err := r.Run(ctx, cmd, strings.NewReader(input), nil, nil); err != nil {
		return fmt.Errorf("record release: %w", err)
	}
	return nil
}

// keptDigests returns the digests of the last keep releases that served
// (success, or the target of a rollback), newest first.
func keptDigests(recs []Record, keep int) []string {
	var out []string
	seen := map[string]bool{}
	for i := len(recs) - 1; i >= 0 && len(out) < keep; i-- {
		r := recs[i]
		if r.Result != Success || r.Digest == "" || seen[r.Digest] {
			continue
		}
		seen[r.Digest] = true
		out = append(out, r.Digest)
	}
	return out
}

// prunable returns the images of releases older than the kept ones.
func prunable(recs []Record, keep []string) []string {
	kept := map[string]bool{}
	for _, d := range keep {
		kept[d] = true
	}
	var out []string
	seen := map[string]bool{}
	for _, r := range recs {
		if r.Image == "" || kept[r.Digest] || seen[r.Image] {
			continue
		}
		seen[r.Image] = true
		out = append(out, r.Image)
	}
	return out
}
