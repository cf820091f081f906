package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gantry-ci/gantry/internal/expr"
	"github.com/gantry-ci/gantry/internal/jobhooks"
	"github.com/gantry-ci/gantry/internal/pipeline"
	"github.com/gantry-ci/gantry/internal/plan"
	"github.com/gantry-ci/gantry/internal/scheduler"
	"github.com/gantry-ci/gantry/internal/workspace"
)

// maxChildDepth is how deep child pipelines nest: GitLab allows a child
// pipeline's jobs to trigger children of their own, two levels in all.
const maxChildDepth = 2

// downstream runs the child pipelines of trigger:include jobs for gantry
// run, as GitLab does: from the same commit, with pipeline source
// parent_pipeline, and with the trigger job's variables (its own and the
// global ones it inherits) passed down as pipeline variables. The child's
// jobs report in the parent's event stream, named after the trigger jobs
// that led to them ("[deploy] -> job", "[deploy -> nested] -> job"), in the
// stage of the top trigger job, with their own pipeline id and their
// parent's (Event.ParentPipeline, Event.Trigger); their logs go to
// .gantry/logs/<child id>.
type downstream struct {
	pl   *planned
	ws   *workspace.Dir
	src  *workspace.Source
	logs *logFiles
	// base is the parent's scheduler configuration, the children's model.
	base scheduler.Config
	// prepare marks the masked and file variables of a planned child as
	// the parent's plan had them marked.
	prepare func(*plan.Plan)
	pinned  []string
	// model and names are the pipeline whose trigger jobs this runs and
	// its jobs (the slugs of artifact: includes are computed among them).
	model *pipeline.Pipeline
	names []string

	// Set below the top level: the trigger jobs that led here, the
	// prefix of its jobs' directory names (jobhooks.Config.SlugPrefix),
	// where events go and in which stage they show.
	chain      []string
	slugPrefix string
	sink       func(scheduler.Event)
	stage      string
	stageIndex int
}

// failed is the result of a trigger job whose child pipeline did not run.
func failed(reason string) scheduler.DownstreamResult {
	return scheduler.DownstreamResult{Status: scheduler.StatusFailed, Reason: reason}
}

// run implements scheduler.DownstreamFunc. The child's jobs take their
// slots from the parent's (base.Slots): -j holds for the whole run.
func (ds *downstream) run(ctx context.Context, d *scheduler.Downstream) scheduler.DownstreamResult {
	j := d.Job
	if len(ds.chain) >= maxChildDepth {
		return failed(fmt.Sprintf("downstream pipeline cannot be created: child pipelines nest at most %d levels deep", maxChildDepth))
	}
	sink, stage, stageIndex := ds.sink, ds.stage, ds.stageIndex
	if sink == nil {
		sink, stage, stageIndex = d.Emit, j.Stage, j.StageIndex
	}
	// The child's number is claimed as the parent's was, for
	// CI_PIPELINE_ID, its artifact store and its logs' directory, which
	// goes again if the child cannot be created.
	id, logDir, err := newPipelineID(ds.ws.Path)
	if err != nil {
		return failed(err.Error())
	}
	ran := false
	defer func() {
		if !ran {
			os.Remove(logDir) // empty: nothing ran
		}
	}()
	tmp := filepath.Join(ds.ws.Path, "tmp", "child-"+id)
	defer os.RemoveAll(tmp)

	file, err := ds.childFile(ctx, d, tmp)
	if err != nil {
		return failed("downstream pipeline cannot be created: " + err.Error())
	}
	p, model, err := ds.plan(ctx, j, id, file)
	if err != nil {
		return failed("downstream pipeline cannot be created: " + err.Error())
	}
	var names []string
	for _, cj := range p.Jobs {
		names = append(names, cj.Name)
	}
	slugPrefix := ds.slugPrefix + workspace.Slug(j.Name) + "_"
	hooks, err := jobhooks.New(jobhooks.Config{Dir: ds.ws, Source: ds.src, PipelineID: id, Jobs: names, Pinned: ds.pinned,
		SlugPrefix: slugPrefix})
	if err != nil {
		return failed(err.Error())
	}
	// The trigger job as the stream names it, for the child's events.
	trigger := j.Name
	if len(ds.chain) > 0 {
		trigger = "[" + strings.Join(ds.chain, " -> ") + "] -> " + j.Name
	}
	chain := append(slices.Clone(ds.chain), j.Name)
	prefix := "[" + strings.Join(chain, " -> ") + "] -> "
	logSlugs := map[string]string{}
	for n, slug := range workspace.UniqueSlugs(names) {
		logSlugs[prefix+n] = slug
	}
	ds.logs.add(id, logDir, func(job string) string {
		if s, ok := logSlugs[job]; ok {
			return s
		}
		return workspace.Slug(job)
	})
	child := *ds
	child.model, child.names, child.chain, child.slugPrefix = model, names, chain, slugPrefix
	child.sink, child.stage, child.stageIndex = sink, stage, stageIndex
	// A resource group the trigger job holds stays held while its child
	// runs: the child's jobs cannot take it.
	if g := strings.TrimSpace(j.Spec.ResourceGroup); g != "" {
		child.base.HeldResourceGroups = append(slices.Clone(ds.base.HeldResourceGroups), g)
	}
	cfg := child.base
	cfg.Hooks, cfg.PipelineID, cfg.Downstream = hooks, id, child.run
	// Manual jobs of a child wait, as GitLab's do; @Interactive jobs run
	// like others.
	cfg.Manual, cfg.Terminal = nil, nil
	cfg.OnEvent = func(ev scheduler.Event) {
		ev.ParentPipeline, ev.Trigger = d.Pipeline, trigger
		if ev.Kind != scheduler.KindPipelineCreated && ev.Kind != scheduler.KindPipelineFinished {
			ev.Job = prefix + ev.Job
			ev.Stage, ev.StageIndex = stage, stageIndex
		}
		sink(ev)
	}
	s, err := scheduler.New(cfg)
	if err != nil {
		return failed(err.Error())
	}
	d.Notice(fmt.Sprintf("Running child pipeline %s (%s)", id, strings.Join(includes(j.Spec.Trigger), ", ")))
	ran = true
	res, err := s.Run(ctx, p)
	if err != nil {
		return failed("downstream pipeline cannot be created: " + err.Error())
	}
	// The summary and the report name the child's jobs as its events
	// did; nested children were renamed by their own run.
	for i := range res.Jobs {
		res.Jobs[i].Name = prefix + res.Jobs[i].Name
	}
	out := scheduler.DownstreamResult{Status: scheduler.StatusSuccess, Child: res}
	switch {
	case res.Status == scheduler.StatusSuccess:
	case ctx.Err() != nil:
		out.Status, out.Reason = scheduler.StatusCanceled, "canceled"
	case j.Spec.Trigger.Strategy != "":
		out.Status, out.Reason = scheduler.StatusFailed, "downstream pipeline "+res.Status.String()
	default:
		d.Notice(fmt.Sprintf("WARNING: child pipeline %s %s; the trigger job passes all the same, as without strategy: depend in GitLab", id, res.Status))
	}
	return out
}

// includes lists a trigger's include entries, with their kind.
func includes(t *pipeline.Trigger) []string {
	var out []string
	for _, in := range t.Includes {
		s := in.Kind + ": " + in.File
		if in.Job != "" {
			s += " of " + in.Job
		}
		out = append(out, s)
	}
	return out
}

// childFile returns the child pipeline's file, relative to the project
// directory: the one local include as it is, else a file in tmp that
// includes the local files and the artifacts, copied into tmp.
func (ds *downstream) childFile(ctx context.Context, d *scheduler.Downstream, tmp string) (string, error) {
	j := d.Job
	t := j.Spec.Trigger
	incs := t.Includes
	if len(incs) == 0 {
		return "", errors.New("trigger:include names no file")
	}
	var files []string
	for _, in := range incs {
		switch in.Kind {
		case "local":
			// Locations may use the trigger job's variables.
			files = append(files, strings.TrimLeft(expr.ExpandGitLab(in.File, j.Lookup), "/"))
		case "artifact":
			f, err := ds.artifact(ctx, d.Pipeline, in, tmp)
			if err != nil {
				return "", err
			}
			files = append(files, f)
		default:
			return "", fmt.Errorf("trigger:include:%s is not supported yet (local files and artifacts are)", in.Kind)
		}
	}
	if len(files) == 1 && incs[0].Kind == "local" {
		return files[0], nil
	}
	var b strings.Builder
	b.WriteString("include:\n")
	for _, f := range files {
		fmt.Fprintf(&b, "  - local: %s\n", strconv.Quote(f))
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return "", err
	}
	main := filepath.Join(tmp, "child.yml")
	if err := os.WriteFile(main, []byte(b.String()), 0o644); err != nil {
		return "", err
	}
	return ds.rel(main)
}

// artifact copies the file an artifact: include names out of the
// artifacts its job saved in this pipeline, into tmp.
func (ds *downstream) artifact(ctx context.Context, pipelineID string, in pipeline.TriggerInclude, tmp string) (string, error) {
	slug, ok := workspace.UniqueSlugs(ds.names)[in.Job]
	if !ok {
		return "", fmt.Errorf("trigger:include:artifact: job %q is not in this pipeline", in.Job)
	}
	slug = ds.slugPrefix + slug
	out := filepath.Join(tmp, "artifacts", slug)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	if err := ds.ws.Artifacts(pipelineID).Restore(ctx, out, []string{slug}, nil); err != nil {
		return "", err
	}
	f := filepath.Join(out, filepath.FromSlash(strings.TrimLeft(in.File, "/")))
	if _, err := os.Stat(f); err != nil {
		return "", fmt.Errorf("trigger:include:artifact: %s is not among the artifacts of %s", in.File, in.Job)
	}
	return ds.rel(f)
}

// rel is path relative to the project directory, as include:local wants.
func (ds *downstream) rel(path string) (string, error) {
	r, err := filepath.Rel(ds.pl.dir, path)
	if err != nil || strings.HasPrefix(r, "..") {
		return "", fmt.Errorf("%s is outside the project directory %s", path, ds.pl.dir)
	}
	return filepath.ToSlash(r), nil
}

// plan loads and plans the child pipeline file for the trigger job j.
// The variables of the top pipeline's trigger (project variables and
// --variable) reach every child, as project variables do in GitLab.
func (ds *downstream) plan(ctx context.Context, j *plan.Job, id, file string) (*plan.Plan, *pipeline.Pipeline, error) {
	t := ds.pl.trigger
	t.Source = "parent_pipeline"
	t.Variables = append(slices.Clone(t.Variables), passedVariables(j, ds.model)...)
	n, _ := strconv.Atoi(id) // newPipelineID makes numbers
	t.Predefined = plan.Predefined(ds.pl.repo, t, plan.WithProjectDir(ds.pl.dir), plan.WithConfigPath(ds.pl.file), plan.WithPipelineID(n, n))
	l, err := load(ctx, ds.pl.dir, file, triggerVars(t), plan.ModifiedPaths(t))
	if err != nil {
		return nil, nil, err
	}
	p, err := plan.New(l.pipeline, t)
	if err != nil {
		return nil, nil, err
	}
	ds.prepare(p)
	return p, l.pipeline, nil
}

// passedVariables are the variables a trigger job passes to its child
// pipeline: the global ones it inherits and its own, with the values they
// have in the job; none with forward:yaml_variables: false.
func passedVariables(j *plan.Job, p *pipeline.Pipeline) []plan.Variable {
	if j.Spec.Trigger != nil && j.Spec.Trigger.NoYAMLVariables {
		return nil
	}
	var names []string
	for _, v := range p.Variables {
		if j.Spec.Inherit.InheritsVariable(v.Name) {
			names = append(names, v.Name)
		}
	}
	for _, v := range j.Spec.Variables {
		names = append(names, v.Name)
	}
	var out []plan.Variable
	seen := map[string]bool{}
	for _, name := range names {
		if seen[name] {
			continue
		}
		seen[name] = true
		if value, ok := j.Lookup(name); ok {
			out = append(out, plan.Variable{Name: name, Value: value, Raw: true})
		}
	}
	return out
}
