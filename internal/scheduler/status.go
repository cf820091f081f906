package scheduler

import "fmt"

// Status is the state of a job or a pipeline. A job moves
// created -> [scheduled | waiting_for_resource | pending] -> running -> final,
// where final is one of success, warning, failed, canceled, skipped or manual.
type Status int

// The statuses. The zero value is StatusCreated.
const (
	StatusCreated Status = iota
	// StatusScheduled: a delayed job waiting for its start_in.
	StatusScheduled
	// StatusWaitingForResource: ready, but its resource_group is busy.
	StatusWaitingForResource
	// StatusPending: ready, waiting for a free slot (-j).
	StatusPending
	StatusRunning
	StatusSuccess
	// StatusWarning: failed with allow_failure; the pipeline still passes.
	StatusWarning
	StatusFailed
	StatusCanceled
	StatusSkipped
	// StatusManual: a manual job that was not played.
	StatusManual
)

var statusNames = [...]string{
	StatusCreated:            "created",
	StatusScheduled:          "scheduled",
	StatusWaitingForResource: "waiting_for_resource",
	StatusPending:            "pending",
	StatusRunning:            "running",
	StatusSuccess:            "success",
	StatusWarning:            "warning",
	StatusFailed:             "failed",
	StatusCanceled:           "canceled",
	StatusSkipped:            "skipped",
	StatusManual:             "manual",
}

// String returns GitLab's name for the status ("warning" is GitLab's
// "failed (allowed to fail)").
func (s Status) String() string {
	if s >= 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// MarshalText makes statuses read as their names in JSON events.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses a status name.
func (s *Status) UnmarshalText(b []byte) error {
	for i, n := range statusNames {
		if n == string(b) {
			*s = Status(i)
			return nil
		}
	}
	return fmt.Errorf("unknown status %q", b)
}

// Final reports whether the status will not change any more.
func (s Status) Final() bool { return s >= StatusSuccess }

// Passed reports whether the status lets on_success jobs after it run.
func (s Status) Passed() bool { return s == StatusSuccess || s == StatusWarning }

// Failure is why an attempt failed, with GitLab's names: retry:when matches
// them.
type Failure string

// The failure reasons gantry produces.
const (
	FailureNone Failure = ""
	// FailureScript: the script exited non-zero.
	FailureScript Failure = "script_failure"
	// FailureTimeout: the job ran past its timeout.
	FailureTimeout Failure = "job_execution_timeout"
	// FailureSystem: the executor could not prepare or run the job.
	FailureSystem Failure = "runner_system_failure"
	// FailurePrerequisites: the before-job hook failed (artifacts, cache).
	FailurePrerequisites Failure = "unmet_prerequisites"
	// FailureUnknown: anything else, such as a failing after-job hook.
	FailureUnknown Failure = "unknown_failure"
)
