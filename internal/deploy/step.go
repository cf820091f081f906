package deploy

import (
	"fmt"
	"io"
	"time"
)

// Step is a stage of the deploy sequence, logged with its duration.
type Step int

// The steps, in the order a deploy runs them.
const (
	StepResolve Step = iota
	StepHooks
	StepConnect
	StepLock
	StepPrevious
	StepUpload
	StepPull
	StepRelease
	StepRoll
	StepHealth
	StepObserve
	StepRollback
	StepRecord
	StepPrune
	StepNotify
)

var stepNames = [...]string{"resolve", "hooks", "connect", "lock", "previous", "upload", "pull", "release", "roll", "health", "observe", "rollback", "record", "prune", "notify"}

func (s Step) String() string {
	if int(s) < len(stepNames) {
		return stepNames[s]
	}
	return fmt.Sprintf("step(%d)", int(s))
}

// MarshalText writes the step's name.
func (s Step) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// StepTime is how long one step took.
type StepTime struct {
	Step     Step          `json:"step"`
	Detail   string        `json:"detail,omitempty"`
	Duration time.Duration `json:"duration_ns"`
	Err      string        `json:"error,omitempty"`
}

// Report is what a deploy or rollback returns: the record written on the
// host, each step's duration, and the failing check's last response.
type Report struct {
	Record    Record     `json:"record"`
	Steps     []StepTime `json:"steps"`
	LastProbe *Probe     `json:"-"`
}

// stepLog times steps and prints them for humans.
type stepLog struct {
	out   io.Writer
	steps []StepTime
}

func (l *stepLog) run(s Step, detail string, fn func() error) error {
	start := time.Now()
	err := fn()
	st := StepTime{Step: s, Detail: detail, Duration: time.Since(start)}
	mark := "ok"
	if err != nil {
		st.Err = err.Error()
		mark = "FAILED"
	}
	l.steps = append(l.steps, st)
	if l.out != nil {
		fmt.Fprintf(l.out, "  %-8s %-6s %6.2fs  %s\n", s, mark, st.Duration.Seconds(), detail)
	}
	return err
}

func (l *stepLog) printf(format string, args ...any) {
	if l.out != nil {
		fmt.Fprintf(l.out, format, args...)
	}
}

// UnmarshalText reads a step's name.
func (s *Step) UnmarshalText(b []byte) error {
	for i, n := range stepNames {
		if n == string(b) {
			*s = Step(i)
			return nil
		}
	}
	return fmt.Errorf("unknown deploy step %q", b)
}
