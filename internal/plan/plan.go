// Package plan turns a pipeline model and one trigger (ref, source,
// variables, changed files) into the jobs that exist in that pipeline, with
// resolved when, allow_failure, variables and needs edges. It has no I/O.
package plan

import (
	"errors"
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
	// Variables are the pipeline-level variables every job starts from,
	// in precedence order (predefined, global, workflow rules, trigger):
	// what workflow:rules and workflow:name saw.
	Variables []Variable
	// AutoCancel is workflow:auto_cancel after workflow:rules; nil when
	// not configured.
	AutoCancel *pipeline.AutoCancel
}

// Job returns the job called name, or nil. A matrix instance may be named
// with or without the space after each comma ("b: [x,y]" finds
// "b: [x, y]"), since gitlab-ci-local prints them without.
func (p *Plan) Job(name string) *Job {
	for _, j := range p.Jobs {
		if j.Name == name {
			return j
		}
	}
	for _, j := range p.Jobs {
		if j.Matrix != nil && squeezeMatrixName(j.Name) == squeezeMatrixName(name) {
			return j
		}
	}
	return nil
}

// ErrNoPipeline means the trigger creates no pipeline: workflow:rules
// rejected it, or no job is left after rules, only and except. New wraps
// it with the reason.
var ErrNoPipeline = errors.New("no pipeline")

// Trigger is what starts a pipeline: the ref, the source and what the
// user or the forge sent with it.
type Trigger struct {
	// Ref is the branch or tag name; Tag says which.
	Ref string
	Tag bool
	// Source is CI_PIPELINE_SOURCE: push, merge_request_event, web,
	// schedule, api, trigger, pipeline, parent_pipeline,
	// external_pull_request_event, chat. Empty means push.
	Source string
	// Variables are pipeline variables (--variable K=V, API, schedule):
	// the highest precedence.
	Variables []Variable
	// Changed are the files changed by the push or merge request, for
	// rules:changes and only/except:changes. nil means unknown, and then
	// changes: is true, as in GitLab for new branches; for tags and
	// sources other than push and merge requests changes: is always true.
	Changed []string
	// ChangedSince lists the files changed between a ref and the
	// pipeline's commit, for rules:changes:compare_to. nil: compare_to is
	// treated as "unknown", so changes: is true.
	ChangedSince func(ref string) ([]string, error)
	// Files are the repository's files (paths relative to its root), for
	// rules:exists.
	Files []string
	// Predefined are the CI_* variables from Predefined.
	Predefined []Variable
	// MergeRequest describes the merge request of a merge_request_event
	// pipeline.
	MergeRequest *MergeRequest
	// FirstJobID numbers the jobs' CI_JOB_ID from this value (1 if 0).
	FirstJobID int
}

// MergeRequest is the merge request a merge_request_event pipeline runs
// for, as the CI_MERGE_REQUEST_* variables describe it.
type MergeRequest struct {
	ID                int
	IID               int
	Title             string
	Description       string
	Labels            []string
	Assignees         []string
	SourceBranch      string
	SourceBranchSHA   string
	TargetBranch      string
	TargetBranchSHA   string
	DiffBaseSHA       string
	SourceProjectPath string
	SourceProjectURL  string
	Draft             bool
	Approved          bool
	// EventType is detached (the default), merged_result or merge_train.
	EventType string
}

// Job is one job of a Plan.
type Job struct {
	// Name is the job's name; matrix instances are named as GitLab names
	// them ("test: [linux, amd64]") and parallel: N as "test 1/3".
	Name       string
	Stage      string
	StageIndex int
	// Spec is the job as written (after extends/default). Shared: read only.
	Spec    *pipeline.Job
	When    pipeline.When
	StartIn time.Duration
	// AllowFailure is resolved: Allowed holds the effective value (true
	// for a job-level when: manual unless set otherwise); Set says whether
	// the file or a rule gave it.
	AllowFailure pipeline.AllowFailure
	// Variables are the job's variables in precedence order (lowest
	// first): predefined, global, job, matrix, rules, trigger. Later
	// entries override earlier ones of the same name.
	// New lists each name once with its final value, expanded as GitLab
	// and its runner do (expr.ExpandAll), so every entry is Raw.
	Variables []Variable
	// Needs are the jobs this job waits for. For a job without needs:,
	// these are all jobs of earlier stages (Implicit is then true).
	Needs    []Need
	Implicit bool
	// Dependencies name the jobs whose artifacts are restored.
	Dependencies []string
	// Base is the name of the job in the file; Name differs from it for
	// parallel jobs.
	Base string
	// NodeIndex and NodeTotal are CI_NODE_INDEX/CI_NODE_TOTAL for parallel
	// jobs (1-based), zero otherwise.
	NodeIndex int
	NodeTotal int
	// Matrix holds this instance's parallel:matrix variables, in key
	// order; nil for other jobs.
	Matrix []Variable
	// ID is CI_JOB_ID.
	ID int
	// Environment is the job's environment with name and url expanded;
	// nil when the job has none.
	Environment *pipeline.Environment
	// Interruptible is interruptible: after rules.
	Interruptible bool
	// Rule is the position of the rule that admitted the job; zero when
	// the job has no rules.
	Rule pipeline.Pos
	// MissingDependencies are jobs listed in dependencies: that are not
	// in this pipeline. GitLab ignores them; a stricter runner (like
	// gitlab-ci-local's --validate-dependency-chain) can refuse them.
	MissingDependencies []string
}

// Need is a resolved edge of the job DAG.
type Need struct {
	Job       string
	Artifacts bool
	Optional  bool
}

// Lookup returns the value the variable called name has for this job,
// after precedence: the last definition wins.
func (j *Job) Lookup(name string) (string, bool) {
	for i := len(j.Variables) - 1; i >= 0; i-- {
		if j.Variables[i].Name == name {
			return j.Variables[i].Value, true
		}
	}
	return "", false
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
