package cli

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/gantry-ci/gantry/internal/scheduler"
)

// runReport is the JSON summary --report writes, for tools: one object
// per run.
type runReport struct {
	Pipeline string  `json:"pipeline"`
	Status   string  `json:"status"`
	Started  string  `json:"started"`
	Duration float64 `json:"duration_seconds"`
	// Jobs are the pipeline's jobs in plan order, each trigger job
	// followed by the jobs of its child pipeline (depth first).
	Jobs []reportJob `json:"jobs"`
}

type reportJob struct {
	Name     string               `json:"name"`
	Stage    string               `json:"stage"`
	Status   string               `json:"status"`
	ExitCode int                  `json:"exit_code"`
	Reason   string               `json:"reason,omitempty"`
	Failure  string               `json:"failure,omitempty"`
	Attempts int                  `json:"attempts"`
	Duration float64              `json:"duration_seconds"`
	Coverage *float64             `json:"coverage,omitempty"`
	Tests    *scheduler.TestCount `json:"tests,omitempty"`
	Log      string               `json:"log,omitempty"`
	// AfterScriptFailed: after_script failed (the status is unaffected).
	AfterScriptFailed bool `json:"after_script_failed,omitempty"`
	// Pipeline and Parent are set on the jobs of a child pipeline: its
	// number (CI_PIPELINE_ID) and the name of the trigger job that ran
	// it, as the jobs list names it.
	Pipeline string `json:"pipeline,omitempty"`
	Parent   string `json:"parent,omitempty"`
	// Downstream is the number of the child pipeline a trigger job ran.
	Downstream string `json:"downstream_pipeline,omitempty"`
}

func writeReport(path string, res *scheduler.Result, lf *logFiles) error {
	r := runReport{
		Pipeline: res.Pipeline, Status: res.Status.String(),
		Started: res.Started.UTC().Format("2006-01-02T15:04:05.000Z07:00"), Duration: res.Duration.Seconds(),
		Jobs: reportJobs([]reportJob{}, res, "", lf),
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// reportJobs appends the jobs of res, a child pipeline run by the
// trigger job parent ("" for the top pipeline), and their children's
// jobs.
func reportJobs(out []reportJob, res *scheduler.Result, parent string, lf *logFiles) []reportJob {
	pipeline := ""
	if parent != "" {
		pipeline = res.Pipeline
	}
	for _, j := range res.Jobs {
		rj := reportJob{
			Name: j.Name, Stage: j.Stage, Status: j.Status.String(), ExitCode: j.ExitCode,
			Reason: j.Reason, Failure: string(j.Failure), Attempts: j.Attempts, Duration: j.Duration.Seconds(),
			Coverage: j.Coverage, Tests: j.Tests, Log: lf.Path(res.Pipeline, j.Name), AfterScriptFailed: j.AfterScriptFailed,
			Pipeline: pipeline, Parent: parent,
		}
		if j.Downstream != nil {
			rj.Downstream = j.Downstream.Pipeline
		}
		out = append(out, rj)
		if j.Downstream != nil {
			out = reportJobs(out, j.Downstream, j.Name, lf)
		}
	}
	return out
}
