package plan

import (
	"fmt"
	"sort"

	"github.com/gantry-ci/gantry/internal/expr"
	"github.com/gantry-ci/gantry/internal/pipeline"
)

// evaluator holds what New needs while it evaluates one trigger.
type evaluator struct {
	p       *pipeline.Pipeline
	t       Trigger
	source  string
	stages  []string
	stageIx map[string]int
	// predefined are the pipeline's predefined variables (CI_PIPELINE_NAME
	// included); globals the file's variables then workflow rules'.
	predefined []Variable
	globals    []pipeline.Variable
	// static maps every job and instance name of the file, whether or not
	// it is in this pipeline, to its instances.
	static map[string][]instance
}

// decision is what rules (or only/except) made of one instance.
type decision struct {
	when          pipeline.When
	allowFailure  pipeline.AllowFailure
	startIn       string
	needs         []pipeline.Need
	ruleVars      []pipeline.Variable
	interruptible bool
	rulePos       pipeline.Pos
}

// pending is a job admitted to the pipeline whose edges and final
// variables are not resolved yet.
type pending struct {
	job   *Job
	inst  instance
	needs []pipeline.Need
	// layers are the job's variables above the predefined ones: global,
	// job, matrix, rules, trigger.
	layers *scope
	// cycle is set when the job's variables refer to each other in a
	// circle, which makes GitLab refuse the pipeline.
	cycle *Error
}

// New evaluates pipeline p for trigger t: workflow:rules, then each job's
// rules or only/except, parallel and matrix expansion, variables and the
// needs DAG. A trigger that creates no pipeline returns an error wrapping
// ErrNoPipeline that says why; a pipeline GitLab would refuse (a need on a
// job that is not in it, a bad rules:if) returns an *Error. Jobs whose
// variables refer to each other in a circle return one *Error each,
// joined when there are several, as GitLab lists them all.
func New(p *pipeline.Pipeline, t Trigger) (*Plan, error) {
	ev := newEvaluator(p, t)

	// Workflow: what it sees is predefined, global and trigger variables.
	wf := newScope(len(t.Predefined) + len(p.Variables) + len(t.Variables))
	wf.addAll(t.Predefined, fromPredefined)
	wf.addModel(p.Variables, nil)
	wf.addAll(t.Variables, fromTrigger)
	plan := &Plan{Stages: ev.stages}
	ev.globals = p.Variables
	if w := p.Workflow; w != nil {
		plan.AutoCancel = w.AutoCancel
		if len(w.Rules) > 0 {
			r, err := ev.firstRule(w.Rules, wf, "")
			if err != nil {
				return nil, err
			}
			if r == nil {
				return nil, noPipeline(w.Pos, "workflow:rules: no rule matched")
			}
			if r.When == pipeline.WhenNever {
				return nil, noPipeline(r.Pos, "workflow:rules: the matching rule says when: never")
			}
			if len(r.Variables) > 0 {
				ev.globals = append(append([]pipeline.Variable(nil), p.Variables...), r.Variables...)
			}
			if r.AutoCancel != nil {
				plan.AutoCancel = r.AutoCancel
			}
		}
	}
	ps := newScope(len(t.Predefined) + len(ev.globals) + len(t.Variables))
	ps.addAll(t.Predefined, fromPredefined)
	ps.addModel(ev.globals, nil)
	ps.addAll(t.Variables, fromTrigger)
	ev.predefined = t.Predefined
	if p.Workflow != nil && p.Workflow.Name != "" {
		plan.Name = expr.ExpandGitLab(p.Workflow.Name, lookupOf(ps.expanded()))
		ev.predefined = append(append([]Variable(nil), t.Predefined...), Variable{Name: "CI_PIPELINE_NAME", Value: plan.Name, Raw: true})
	}
	plan.Variables = ps.list

	// Jobs.
	var kept []*pending
	var cycles cycleErrors
	for _, spec := range p.Jobs {
		if _, ok := ev.stageIx[stageOf(spec)]; !ok {
			return nil, &Error{Pos: spec.Pos, Job: spec.Name, Msg: fmt.Sprintf("stage %q is not defined", stageOf(spec)),
				Hint: "add it to stages: or use one of " + fmt.Sprint(ev.stages)}
		}
		for _, in := range ev.static[spec.Name] {
			pj, err := ev.evalInstance(in)
			if err != nil {
				return nil, err
			}
			if pj != nil {
				kept = append(kept, pj)
				cycles.add(pj.cycle)
			}
		}
	}
	if err := cycles.err(); err != nil {
		return nil, err
	}
	sort.SliceStable(kept, func(a, b int) bool { return kept[a].job.StageIndex < kept[b].job.StageIndex })
	if !hasRealJob(kept) {
		return nil, noPipeline(pipeline.Pos{}, "no job is left after rules, only and except outside .pre and .post")
	}

	if err := ev.resolveEdges(kept); err != nil {
		return nil, err
	}
	id := t.FirstJobID
	if id <= 0 {
		id = 1
	}
	plan.Jobs = make([]*Job, len(kept))
	for i, pj := range kept {
		pj.job.ID = id + i
		ev.finishVariables(pj)
		plan.Jobs[i] = pj.job
	}
	return plan, nil
}

func newEvaluator(p *pipeline.Pipeline, t Trigger) *evaluator {
	ev := &evaluator{p: p, t: t, source: t.Source, stages: p.Stages}
	if ev.source == "" {
		ev.source = SourcePush
	}
	if ev.t.Ref == "" {
		ev.t.Ref, ev.t.Tag = refFromPredefined(t.Predefined)
	}
	if len(ev.stages) == 0 {
		ev.stages = pipeline.DefaultStages
	}
	ev.stageIx = make(map[string]int, len(ev.stages))
	for i, s := range ev.stages {
		ev.stageIx[s] = i
	}
	ev.static = make(map[string][]instance, len(p.Jobs))
	for _, spec := range p.Jobs {
		insts := instances(spec)
		for i := range insts {
			insts[i].stageIndex = ev.stageIx[stageOf(spec)]
		}
		ev.static[spec.Name] = insts
		if len(insts) > 1 || insts[0].parallel {
			for _, in := range insts {
				if _, dup := ev.static[in.name]; !dup {
					ev.static[in.name] = []instance{in}
				}
			}
		}
	}
	return ev
}

// refFromPredefined recovers the ref of a trigger that did not set it.
func refFromPredefined(vs []Variable) (string, bool) {
	var ref, tag string
	for _, v := range vs {
		switch v.Name {
		case "CI_COMMIT_REF_NAME":
			ref = v.Value
		case "CI_COMMIT_TAG":
			tag = v.Value
		}
	}
	if tag != "" {
		return tag, true
	}
	return ref, false
}

func stageOf(j *pipeline.Job) string {
	if j.Stage == "" {
		return "test"
	}
	return j.Stage
}

// hasRealJob reports whether a job outside .pre and .post is left: GitLab
// does not create a pipeline of only those.
func hasRealJob(kept []*pending) bool {
	for _, pj := range kept {
		if pj.job.Stage != ".pre" && pj.job.Stage != ".post" {
			return true
		}
	}
	return false
}

// evalInstance decides whether one instance is in the pipeline and with
// which when, allow_failure and variables; nil means it is not.
func (ev *evaluator) evalInstance(in instance) (*pending, error) {
	spec := in.spec
	stage := stageOf(spec)
	jobPre := jobPredefined(in, stage)

	layers := newScope(len(ev.globals) + len(spec.Variables) + len(in.matrix) + len(ev.t.Variables) + 4)
	layers.addModel(ev.globals, spec.Inherit.InheritsVariable)
	layers.addModel(spec.Variables, nil)
	layers.addAll(in.matrix, fromMatrix)

	// Rules see everything but their own variables: predefined, global,
	// job, matrix and trigger.
	see := newScope(len(ev.predefined) + len(jobPre) + len(layers.list) + len(ev.t.Variables))
	see.addAll(ev.predefined, fromPredefined)
	see.addAll(jobPre, fromPredefined)
	see.addScope(layers)
	see.addAll(ev.t.Variables, fromTrigger)

	d, ok, err := ev.decide(in, see)
	if err != nil || !ok {
		return nil, err
	}
	layers.addModel(d.ruleVars, nil)
	layers.addAll(ev.t.Variables, fromTrigger)

	job := &Job{
		Name:          in.name,
		Base:          spec.Name,
		Stage:         stage,
		StageIndex:    ev.stageIx[stage],
		Spec:          spec,
		When:          d.when,
		AllowFailure:  d.allowFailure,
		Matrix:        in.matrix,
		Interruptible: d.interruptible,
		Rule:          d.rulePos,
	}
	if in.parallel {
		job.NodeIndex, job.NodeTotal = in.node, in.total
	}
	if d.when == pipeline.WhenDelayed {
		if d.startIn == "" {
			return nil, &Error{Pos: spec.Pos, Job: in.name, Msg: "when: delayed needs start_in", Hint: "add start_in: 5 minutes"}
		}
		dur, err := pipeline.ParseDuration(d.startIn)
		if err != nil {
			return nil, &Error{Pos: spec.Pos, Job: in.name, Msg: fmt.Sprintf("start_in: %v", err), Hint: "write it like 30 seconds, 5 minutes or 1 day"}
		}
		job.StartIn = dur
	}
	return &pending{job: job, inst: in, needs: d.needs, layers: layers, cycle: cycleError(see, in.name, spec.Pos)}, nil
}

// decide applies the job's rules, or its only/except, to one instance.
// ok is false when the instance is not in the pipeline.
func (ev *evaluator) decide(in instance, s *scope) (d decision, ok bool, err error) {
	spec := in.spec
	d = decision{when: spec.When, startIn: spec.StartIn, needs: spec.Needs, interruptible: spec.Interruptible}
	if d.when == pipeline.WhenUnset {
		d.when = pipeline.WhenOnSuccess
	}
	// A job-level when: manual makes the job allowed to fail unless it
	// says otherwise, with or without rules; a rule's when: manual does
	// not (GitLab documents allow_failure: false for manual jobs in rules).
	d.allowFailure = spec.AllowFailure
	if !d.allowFailure.Set {
		d.allowFailure.Allowed = spec.When == pipeline.WhenManual
	}
	if spec.HasRules {
		r, err := ev.firstRule(spec.Rules, s, in.name)
		if err != nil || r == nil {
			return d, false, err
		}
		if r.When != pipeline.WhenUnset {
			d.when = r.When
		}
		if r.AllowFailure != nil {
			d.allowFailure = pipeline.AllowFailure{Set: true, Allowed: *r.AllowFailure}
		}
		if r.StartIn != "" {
			d.startIn = r.StartIn
		}
		if r.Needs != nil {
			d.needs = r.Needs
		}
		if r.Interruptible != nil {
			d.interruptible = *r.Interruptible
		}
		d.ruleVars = r.Variables
		d.rulePos = r.Pos
	} else {
		ok, err := ev.onlyExcept(spec, s, in.name)
		if err != nil || !ok {
			return d, false, err
		}
	}
	if d.when == pipeline.WhenNever {
		return d, false, nil
	}
	return d, true, nil
}

// lookupOf is a Lookup over a final variable list.
func lookupOf(vs []Variable) expr.Lookup {
	m := make(map[string]string, len(vs))
	for _, v := range vs {
		m[v.Name] = v.Value
	}
	return expr.Map(m)
}
