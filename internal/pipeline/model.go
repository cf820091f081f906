// Package pipeline is the typed model of a CI pipeline file, with source
// positions. It has no I/O: the frontend (internal/gitlabci) fills it, the
// planner (internal/plan) reads it.
package pipeline

import (
	"fmt"
	"time"
)

// Pos is a position in a pipeline source file. Line and Col are 1-based; a
// zero Pos means "unknown".
type Pos struct {
	File string
	Line int
	Col  int
}

// String formats p as file:line:col, the form editors and terminals link.
func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// DefaultStages are the stages of a pipeline that does not declare any.
var DefaultStages = []string{".pre", "build", "test", "deploy", ".post"}

// Pipeline is a fully merged pipeline file: includes, extends, !reference,
// anchors and default: already applied to every job.
type Pipeline struct {
	// Stages in order, always starting with .pre and ending with .post.
	Stages    []string
	Variables []Variable
	Workflow  *Workflow
	// Default is kept for display; its keywords are already applied to Jobs.
	Default *Job
	// Jobs in file order; hidden (.name) jobs are not included.
	Jobs []*Job
}

// Job returns the job called name, or nil.
func (p *Pipeline) Job(name string) *Job {
	for _, j := range p.Jobs {
		if j.Name == name {
			return j
		}
	}
	return nil
}

// Variable is one CI/CD variable as written in a pipeline file.
type Variable struct {
	Name        string
	Value       string
	Description string
	Options     []string
	// Expand is false for `expand: false`: $ in Value is then literal.
	Expand bool
	Pos    Pos
}

// When says when a job (or a rule's job) runs.
type When string

// The values of `when`. WhenUnset means the keyword was not given.
const (
	WhenUnset     When = ""
	WhenOnSuccess When = "on_success"
	WhenOnFailure When = "on_failure"
	WhenAlways    When = "always"
	WhenManual    When = "manual"
	WhenDelayed   When = "delayed"
	WhenNever     When = "never"
)

// Workflow is the top-level workflow: keyword.
type Workflow struct {
	Name  string
	Rules []Rule
	Pos   Pos
	// AutoCancel is workflow:auto_cancel; nil when absent.
	AutoCancel *AutoCancel
}

// AutoCancel is workflow:auto_cancel (also settable by a workflow rule).
// Empty fields were not given.
type AutoCancel struct {
	OnNewCommit  string
	OnJobFailure string
}

// Rule is one entry of rules: (job, workflow or include).
type Rule struct {
	If    string
	IfPos Pos
	// Changes is nil when the rule has no changes: clause.
	Changes *Changes
	// Exists is nil when the rule has no exists: clause.
	Exists       []string
	When         When
	AllowFailure *bool
	StartIn      string
	Variables    []Variable
	// Needs replaces the job's needs when the rule matches; nil = unchanged.
	Needs []Need
	Pos   Pos
	// Interruptible overrides the job's interruptible: when the rule
	// matches; nil = unchanged.
	Interruptible *bool
	// AutoCancel is a workflow rule's auto_cancel:; nil = unchanged.
	AutoCancel *AutoCancel
}

// Changes is rules:changes (the list form sets only Paths).
type Changes struct {
	Paths     []string
	CompareTo string
}

// Filter is only: or except:. The list form sets only Refs.
type Filter struct {
	Refs       []string
	Variables  []string
	Changes    []string
	Kubernetes string
	Pos        Pos
}

// Need is one entry of needs:.
type Need struct {
	Job      string
	Optional bool
	// Artifacts is true unless `artifacts: false`.
	Artifacts bool
	// Pipeline/Project/Ref are cross-pipeline needs; parsed, not run.
	Pipeline string
	Project  string
	Ref      string
	// Matrix selects matrix instances of Job (needs:parallel:matrix).
	Matrix []MatrixEntry
	Pos    Pos
}

// MatrixEntry is one element of parallel:matrix: variables with the values
// to combine, in file order (GitLab names jobs in that order).
type MatrixEntry []MatrixVar

// MatrixVar is one variable of a matrix entry.
type MatrixVar struct {
	Name   string
	Values []string
}

// Parallel is parallel: N or parallel:matrix.
type Parallel struct {
	Count  int
	Matrix []MatrixEntry
	Pos    Pos
}

// AllowFailure is allow_failure: (bool or exit_codes).
type AllowFailure struct {
	// Set is false when the keyword was absent (the default then depends on when:).
	Set       bool
	Allowed   bool
	ExitCodes []int
}

// Retry is retry: (int or object).
type Retry struct {
	Max       int
	When      []string
	ExitCodes []int
}

// Image is image: or a service's image.
type Image struct {
	Name       string
	Entrypoint []string
	PullPolicy []string
	User       string
	Pos        Pos
	// Platform is docker:platform (e.g. linux/arm64).
	Platform string
}

// Service is one entry of services:.
type Service struct {
	Image
	// Aliases from alias: (comma or space separated in GitLab).
	Aliases   []string
	Command   []string
	Variables []Variable
}

// Artifacts is artifacts:.
type Artifacts struct {
	Name      string
	Paths     []string
	Exclude   []string
	Untracked bool
	When      When
	ExpireIn  string
	ExposeAs  string
	Reports   Reports
	Pos       Pos
	// Access is artifacts:access (all, developer, maintainer, none);
	// public: true/false reads as all/developer. Empty when not given.
	Access string
}

// Reports is artifacts:reports:. Other holds report kinds gantry keeps but
// does not interpret.
type Reports struct {
	Junit          []string
	CoverageReport *CoverageReport
	Dotenv         []string
	Other          map[string][]string
}

// CoverageReport is artifacts:reports:coverage_report.
type CoverageReport struct {
	Format string
	Path   string
}

// Cache is one entry of cache:.
type Cache struct {
	Key          string
	KeyFiles     []string
	KeyPrefix    string
	Paths        []string
	Untracked    bool
	Policy       string
	When         When
	FallbackKeys []string
	Unprotect    bool
	Pos          Pos
	// KeyFilesCommits is key:files_commits (key from the files' last commits).
	KeyFilesCommits []string
}

// Environment is environment:.
type Environment struct {
	Name           string
	URL            string
	Action         string
	OnStop         string
	AutoStopIn     string
	DeploymentTier string
	Pos            Pos
}

// Trigger is trigger: (child and multi-project pipelines). Child
// pipelines of local files and artifacts run; multi-project ones do not.
type Trigger struct {
	Project string
	Branch  string
	// Includes are the entries of trigger:include, with their kind.
	Includes []TriggerInclude
	Strategy string
	// NoYAMLVariables is forward:yaml_variables: false: the job's
	// variables stay out of the downstream pipeline.
	NoYAMLVariables bool
	Pos             Pos
}

// Files lists the paths, URLs or references of t's trigger:include.
func (t *Trigger) Files() []string {
	var out []string
	for _, in := range t.Includes {
		out = append(out, in.File)
	}
	return out
}

// TriggerInclude is one entry of trigger:include.
type TriggerInclude struct {
	// Kind is local, artifact, template, project, component or remote.
	Kind string
	// File is the path (local, artifact, template, project), the URL or
	// the component reference.
	File string
	// Job is the job whose artifacts hold File (artifact only).
	Job string
	Pos Pos
}

// Inherit is inherit:. A nil list with All true means "inherit everything".
type Inherit struct {
	DefaultAll bool
	Default    []string
	VarsAll    bool
	Variables  []string
}

// InheritsVariable reports whether a global variable named name reaches the job.
func (in Inherit) InheritsVariable(name string) bool {
	if in.VarsAll {
		return true
	}
	for _, v := range in.Variables {
		if v == name {
			return true
		}
	}
	return false
}

// Job is one visible job with default: and extends: applied.
type Job struct {
	Name         string
	Pos          Pos
	Stage        string
	Script       []string
	BeforeScript []string
	AfterScript  []string
	Variables    []Variable
	Image        *Image
	Services     []Service
	Rules        []Rule
	// HasRules distinguishes `rules: []` from absent rules. `rules: null`
	// counts as absent, as in GitLab (it cancels rules from extends:).
	HasRules bool
	Only     *Filter
	Except   *Filter
	// Needs is nil when needs: is absent (stage order applies) and
	// non-nil but empty for `needs: []`.
	Needs []Need
	// Dependencies is nil when absent (all earlier jobs' artifacts).
	Dependencies []string
	When         When
	StartIn      string
	AllowFailure AllowFailure
	Retry        Retry
	Timeout      time.Duration
	Parallel     *Parallel
	Artifacts    *Artifacts
	Cache        []Cache
	// Coverage is the coverage: regular expression without its slashes.
	Coverage      string
	Environment   *Environment
	ResourceGroup string
	Interruptible bool
	Tags          []string
	Trigger       *Trigger
	Inherit       Inherit
	// Decorators are gitlab-ci-local's comment annotations (# @Interactive
	// above the job's key), the job's own and those of the jobs it
	// extends; GitLab ignores them.
	Decorators Decorators `json:",omitzero"`
}

// Decorators are the gitlab-ci-local job decorators, written as comments
// (# @Interactive) on the lines above a job's key. The zero value is a job
// without any.
type Decorators struct {
	// Interactive runs the job's scripts on gantry's own terminal (stdin,
	// stdout and stderr), alone, with the shell executor only.
	Interactive bool
	// InteractivePos is where the @Interactive comment is, for errors.
	InteractivePos Pos
	// Description is @Description's text, shown by gantry list.
	Description string
	// InjectSSHAgent asks for the host's SSH agent socket in the job's
	// container.
	InjectSSHAgent bool
	// NoArtifactsToSource keeps artifacts out of the source tree; gantry
	// never copies them there, so it changes nothing.
	NoArtifactsToSource bool
}
