// Package plan turns a pipeline model and one trigger (ref, source,
// variables, changed files) into the jobs that exist in that pipeline, with
// resolved when, allow_failure, variables and needs edges. It has no I/O.
package plan

import (
	"time"

	"github.com/gantry-ci/gantry/internal/pipeline"
)

// Plan is one pipeline instance: what will exist for a given trigger.
type Plan struct {
	// Name is workflow:name, expanded.
	Name   string
	Stages []string
	// Jobs in stage order, then file order; matrix jobs are expanded.
	Jobs []*Job
}

// Job is one job of a Plan.
type Job struct {
	// Name is the job's name; matrix instances are named as GitLab names
	// them ("test: [linux, amd64]") and parallel: N as "test 1/3".
	Name       string
	Stage      string
	StageIndex int
	// Spec is the job as written (after extends/default). Shared: read only.
	Spec         *pipeline.Job
	When         pipeline.When
	StartIn      time.Duration
	AllowFailure pipeline.AllowFailure
	// Variables are the job's variables in precedence order (lowest
	// first): predefined, global, job, matrix, rules, trigger. Later
	// entries override earlier ones of the same name.
	Variables []Variable
	// Needs are the jobs this job waits for. For a job without needs:,
	// these are all jobs of earlier stages (Implicit is then true).
	Needs    []Need
	Implicit bool
	// Dependencies name the jobs whose artifacts are restored.
	Dependencies []string
}

// Need is a resolved edge of the job DAG.
type Need struct {
	Job       string
	Artifacts bool
	Optional  bool
}

// Variable is a resolved variable.
type Variable struct {
	Name  string
	Value string
	// Raw values are not expanded again (expand: false, or already final).
	Raw bool
	// Masked values are replaced by [MASKED] in every output.
	Masked bool
	// File variables are written to a temp file; the variable holds its path.
	File bool
}
