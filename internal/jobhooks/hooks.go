// Package jobhooks is what happens around each job attempt, between the
// scheduler and the files under .gantry: it implements scheduler.Hooks with
// internal/workspace (a fresh workspace, artifacts restored from the jobs a
// job depends on, dotenv variables, caches) and internal/report (JUnit test
// counts, Cobertura line rate, the coverage: regex on the job's log), and
// holds each job's coverage to gantry.yml's coverage gate.
//
// The scheduler knows nothing of files and the workspace package knows
// nothing of jobs' lifecycles: this package is the only place both meet, so
// the CLI, and later a runner machine, embed the same behaviour.
package jobhooks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/gantry-ci/gantry/internal/expr"
	"github.com/gantry-ci/gantry/internal/gantryfile"
	"github.com/gantry-ci/gantry/internal/logs"
	"github.com/gantry-ci/gantry/internal/pipeline"
	"github.com/gantry-ci/gantry/internal/plan"
	"github.com/gantry-ci/gantry/internal/report"
	"github.com/gantry-ci/gantry/internal/scheduler"
	"github.com/gantry-ci/gantry/internal/workspace"
)

// MaxFailedNames is how many failed test names a job's result carries for
// display.
const MaxFailedNames = 10

// Config configures Hooks. Dir, Source and PipelineID are required.
type Config struct {
	Dir    *workspace.Dir
	Source *workspace.Source
	// PipelineID names the pipeline's artifact store; it must be the
	// scheduler's PipelineID.
	PipelineID string
	// Jobs are the names of every job of the pipeline as planned (before
	// any --job selection), so that a job's directory name does not depend
	// on which jobs run.
	Jobs []string
	// Pinned names variables that dotenv reports must not override:
	// pipeline variables (--variable), which rank above dotenv in GitLab.
	Pinned []string
	// Fallback, when set, returns the artifact store of an earlier
	// pipeline to take a dependency's artifacts from when the job it names
	// did not run in this one (a run of selected jobs), or nil.
	Fallback func(jobSlug string) *workspace.Artifacts
	// Coverage, when set, is gantry.yml's coverage gate: a job it
	// applies to whose coverage falls below a minimum fails (see
	// AfterJob).
	Coverage *gantryfile.Coverage
	// SlugPrefix starts every job's directory name. A child pipeline's
	// jobs run beside the parent's and other children's, whose jobs may
	// have the same names: its prefix (its trigger jobs' slugs, each
	// followed by "_", which no slug contains) gives them workspaces of
	// their own, the same from one run to the next.
	SlugPrefix string
}

// Hooks implements scheduler.Hooks. It is safe for concurrent use by the
// scheduler's job goroutines.
type Hooks struct {
	cfg       Config
	slugs     map[string]string
	artifacts *workspace.Artifacts
	caches    *workspace.Caches
	pinned    map[string]bool

	mu       sync.Mutex
	attempts map[*scheduler.JobContext]*attempt
}

// attempt is what BeforeJob leaves for AfterJob.
type attempt struct {
	coverage  *report.CoverageScanner
	cacheKeys []string // per Spec.Cache entry, "" when not restored/saved
}

// New returns Hooks for one pipeline run.
func New(cfg Config) (*Hooks, error) {
	if cfg.Dir == nil || cfg.Source == nil || cfg.PipelineID == "" {
		return nil, errors.New("new job hooks: Dir, Source and PipelineID are required")
	}
	h := &Hooks{
		cfg:       cfg,
		slugs:     workspace.UniqueSlugs(cfg.Jobs),
		artifacts: cfg.Dir.Artifacts(cfg.PipelineID),
		caches:    cfg.Dir.Caches(),
		pinned:    map[string]bool{},
		attempts:  map[*scheduler.JobContext]*attempt{},
	}
	for _, n := range cfg.Pinned {
		h.pinned[n] = true
	}
	return h, nil
}

// Slug is the directory name of the job called name: its workspace is
// .gantry/builds/<slug>, its artifacts .gantry/artifacts/<pipeline>/<slug>.
func (h *Hooks) Slug(name string) string {
	s, ok := h.slugs[name]
	if !ok {
		s = workspace.Slug(name)
	}
	return h.cfg.SlugPrefix + s
}

// BeforeJob implements scheduler.Hooks: a fresh workspace, the artifacts
// and dotenv variables of the job's dependencies, its caches, and a tap on
// its log for the coverage: regex.
func (h *Hooks) BeforeJob(ctx context.Context, jc *scheduler.JobContext) error {
	j := jc.Job
	log := noticeWriter(jc)
	defer log.Flush()
	ws, err := h.cfg.Source.Create(ctx, h.Slug(j.Name))
	if err != nil {
		return err
	}
	jc.Workspace = ws
	a := &attempt{}
	// GitLab's value while the script runs; the scheduler sets the
	// outcome for after_script.
	jc.Variables = append(jc.Variables, plan.Variable{Name: "CI_JOB_STATUS", Value: "running", Raw: true})

	if err := h.restoreArtifacts(ctx, jc, log); err != nil {
		return err
	}
	lookup := h.lookup(jc)
	if j.Spec != nil {
		a.cacheKeys = make([]string, len(j.Spec.Cache))
		for i, c := range j.Spec.Cache {
			c = expandCache(c, lookup)
			key, err := workspace.CacheKey(ws, c)
			if err != nil {
				return fmt.Errorf("cache %d of %s: %w", i+1, j.Name, err)
			}
			a.cacheKeys[i] = key
			var extra []string
			if fb, ok := lookup("CACHE_FALLBACK_KEY"); ok && fb != "" {
				extra = append(extra, fb)
			}
			if _, err := h.caches.Restore(ctx, ws, c, key, extra, log); err != nil {
				return err
			}
		}
		if j.Spec.Coverage != "" {
			re, err := report.CompileCoverage(j.Spec.Coverage)
			if err != nil {
				fmt.Fprintf(log, "WARNING: coverage regex ignored: %v\n", err)
			} else {
				a.coverage = report.NewCoverageScanner(re)
				jc.Tap = a.coverage
			}
		}
	}
	h.mu.Lock()
	h.attempts[jc] = a
	h.mu.Unlock()
	return nil
}

// restoreArtifacts extracts the artifacts of jc's dependencies into its
// workspace, in order, and adds their dotenv variables to jc.Variables.
func (h *Hooks) restoreArtifacts(ctx context.Context, jc *scheduler.JobContext, log io.Writer) error {
	dotenv := map[string]bool{}
	for _, dep := range jc.Job.Dependencies {
		slug := h.Slug(dep)
		store := h.artifacts
		if !exists(store.JobDir(slug)) {
			// Most jobs save nothing: no archive or dotenv to look for.
			if h.cfg.Fallback == nil {
				continue
			}
			if store = h.cfg.Fallback(slug); store == nil {
				continue
			}
		}
		if err := store.Restore(ctx, jc.Workspace, []string{slug}, log); err != nil {
			return err
		}
		vars, err := store.Dotenv(slug)
		if err != nil {
			return err
		}
		for _, v := range vars {
			if h.pinned[v.Key] {
				continue
			}
			// Dotenv values are data: never expanded again.
			jc.Variables = append(jc.Variables, plan.Variable{Name: v.Key, Value: v.Value, Raw: true})
			dotenv[v.Key] = true
		}
	}
	h.reexpand(jc, dotenv)
	return nil
}

// reexpand gives the job's own variables that refer to a dotenv variable
// their value with it: the runner expands job variables when the job
// starts, when the dotenv report is known, while the plan could not.
func (h *Hooks) reexpand(jc *scheduler.JobContext, dotenv map[string]bool) {
	if len(dotenv) == 0 || jc.Job.Spec == nil {
		return
	}
	lookup := lookupOf(jc.Job.Variables, jc.Variables)
	for _, v := range jc.Job.Spec.Variables {
		if !v.Expand || dotenv[v.Name] || h.pinned[v.Name] || !strings.Contains(v.Value, "$") {
			continue
		}
		refers := false
		for name := range dotenv {
			if strings.Contains(v.Value, "$"+name) || strings.Contains(v.Value, "${"+name+"}") {
				refers = true
				break
			}
		}
		if refers {
			jc.Variables = append(jc.Variables, plan.Variable{Name: v.Name, Value: expr.Expand(v.Value, lookup), Raw: true})
		}
	}
}

// lookup resolves variables in artifacts and cache settings as the
// runner does: with the job's variables, CI_PROJECT_DIR being the
// job's workspace.
func (h *Hooks) lookup(jc *scheduler.JobContext) expr.Lookup {
	ws := []plan.Variable{{Name: "CI_PROJECT_DIR", Value: jc.Workspace}}
	return lookupOf(jc.Job.Variables, jc.Variables, ws)
}

// AfterJob implements scheduler.Hooks: it saves artifacts and reports
// (dotenv included) and caches, and fills in coverage and test counts.
// Then, if the job succeeded and the coverage gate applies to it, a
// coverage under a minimum fails it, the reason naming the figure, the
// minimum and where gantry.yml sets it, and its log shows the paths under
// their minimum.
func (h *Hooks) AfterJob(ctx context.Context, jc *scheduler.JobContext, res *scheduler.AttemptResult) error {
	h.mu.Lock()
	a := h.attempts[jc]
	delete(h.attempts, jc)
	h.mu.Unlock()
	if a == nil {
		return nil // BeforeJob failed: there is no workspace to save from
	}
	j := jc.Job
	if j.Spec == nil {
		return nil
	}
	log := noticeWriter(jc)
	defer log.Flush()
	succeeded := res.Status == scheduler.StatusSuccess
	lookup := h.lookup(jc)
	var errs []error
	var cov *report.Coverage

	if spec := j.Spec.Artifacts; spec != nil {
		saved, err := h.artifacts.Save(ctx, h.Slug(j.Name), jc.Workspace, expandArtifacts(spec, lookup), succeeded, log)
		switch {
		case err != nil:
			errs = append(errs, err)
		case saved.DotenvErr != nil:
			errs = append(errs, saved.DotenvErr)
		default:
			cov = h.readReports(saved, res, log)
		}
	}
	var figure *float64
	if a.coverage != nil {
		if s, ok := a.coverage.Result(); ok {
			if pct, err := report.ParsePercent(s); err == nil {
				figure, res.Coverage = &pct, &pct
			}
		}
	}
	if succeeded && gateApplies(h.cfg.Coverage, j) {
		v := checkCoverage(h.cfg.Coverage, cov, figure)
		for _, line := range v.lines() {
			fmt.Fprintln(log, line)
		}
		if v.Reason != "" {
			errs = append(errs, errors.New(v.Reason))
		}
	}
	for i, c := range j.Spec.Cache {
		if i >= len(a.cacheKeys) || a.cacheKeys[i] == "" {
			continue
		}
		if _, err := h.caches.Save(ctx, jc.Workspace, expandCache(c, lookup), a.cacheKeys[i], succeeded, log); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// readReports turns the saved JUnit and Cobertura reports into the
// attempt's test counts and coverage, and returns the Cobertura report
// for the coverage gate (nil without one). A report that does not parse
// is a warning in the log: GitLab does not fail a job for it either.
func (h *Hooks) readReports(saved *workspace.Saved, res *scheduler.AttemptResult, log io.Writer) *report.Coverage {
	if files := saved.Reports[workspace.ReportJUnit]; len(files) > 0 {
		sum, err := report.ParseJUnitFiles(files...)
		if err != nil {
			fmt.Fprintf(log, "WARNING: junit report: %v\n", err)
		} else {
			tc := &scheduler.TestCount{Total: sum.Total, Passed: sum.Passed, Failed: sum.Failed,
				Skipped: sum.Skipped, Errors: sum.Errors}
			for _, f := range sum.Failures {
				if len(tc.FailedNames) == MaxFailedNames {
					break
				}
				tc.FailedNames = append(tc.FailedNames, f.FullName())
			}
			res.Tests = tc
		}
	}
	if files := saved.Reports[workspace.ReportCoverage]; len(files) > 0 && res.Coverage == nil {
		cov, err := report.ParseCoberturaFile(files[0])
		if err != nil {
			fmt.Fprintf(log, "WARNING: coverage report: %v\n", err)
			return nil
		}
		pct := cov.Percent()
		res.Coverage = &pct
		return cov
	}
	return nil
}

// lookupOf finds a variable's final value: later lists and later entries
// win, as in the scheduler.
func lookupOf(lists ...[]plan.Variable) expr.Lookup {
	return func(name string) (string, bool) {
		for i := len(lists) - 1; i >= 0; i-- {
			l := lists[i]
			for k := len(l) - 1; k >= 0; k-- {
				if l[k].Name == name {
					return l[k].Value, true
				}
			}
		}
		return "", false
	}
}

// expandCache expands variables in a cache's key and paths as the runner
// does before it uses them.
func expandCache(c pipeline.Cache, vars expr.Lookup) pipeline.Cache {
	c.Key = expr.Expand(c.Key, vars)
	c.KeyPrefix = expr.Expand(c.KeyPrefix, vars)
	c.KeyFiles = expandAll(c.KeyFiles, vars)
	c.Paths = expandAll(c.Paths, vars)
	c.FallbackKeys = expandAll(c.FallbackKeys, vars)
	return c
}

func expandArtifacts(a *pipeline.Artifacts, vars expr.Lookup) *pipeline.Artifacts {
	c := *a
	c.Paths = expandAll(a.Paths, vars)
	c.Exclude = expandAll(a.Exclude, vars)
	r := a.Reports
	r.Junit = expandAll(r.Junit, vars)
	r.Dotenv = expandAll(r.Dotenv, vars)
	if r.CoverageReport != nil {
		cr := *r.CoverageReport
		cr.Path = expr.Expand(cr.Path, vars)
		r.CoverageReport = &cr
	}
	c.Reports = r
	return &c
}

func expandAll(s []string, vars expr.Lookup) []string {
	if s == nil {
		return nil
	}
	out := slices.Clone(s)
	for i := range out {
		out[i] = expr.Expand(out[i], vars)
	}
	return out
}

// noticeWriter turns what the workspace package writes to a job's log
// into notices, one per line.
func noticeWriter(jc *scheduler.JobContext) *logs.Chunker {
	return &logs.Chunker{Emit: func(b []byte) {
		if jc.Notice == nil {
			return
		}
		// A chunk is whole lines, or the cut end of a long one.
		for line := range strings.SplitSeq(strings.TrimSuffix(string(b), "\n"), "\n") {
			jc.Notice(line)
		}
	}}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
