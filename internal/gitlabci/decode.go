package gitlabci

import (
	"cmp"
	"errors"
	"slices"
	"strings"

	"github.com/gantry-ci/gantry/internal/pipeline"
)

// Decode turns a merged document (includes, extends and !reference already
// resolved) into the typed pipeline model. It applies default: to jobs
// (honouring inherit:default), validates every keyword and value, and returns
// all problems found (errors.Join of *Error), each with file:line:col, what is
// wrong, and a hint (an unknown keyword suggests the nearest valid one).
func Decode(doc *Node) (*pipeline.Pipeline, error) {
	d := &decoder{strict: true}
	p := d.document(doc)
	if len(d.errs) > 0 {
		return nil, d.joined()
	}
	return p, nil
}

// joined returns the collected errors sorted by position.
func (d *decoder) joined() error {
	sortErrors(d.errs)
	errs := make([]error, len(d.errs))
	for i, e := range d.errs {
		errs[i] = e
	}
	return errors.Join(errs...)
}

// sortErrors orders errors by position, keeping a final "too many
// errors" last.
func sortErrors(errs []*Error) {
	if len(errs) > maxErrors {
		errs = errs[:maxErrors]
	}
	slices.SortStableFunc(errs, func(a, b *Error) int {
		return cmp.Or(strings.Compare(a.Pos.File, b.Pos.File), cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Col, b.Pos.Col))
	})
}

// decodedJob is a job with the keys it set itself, so that default: fills
// only the others.
type decodedJob struct {
	job  *pipeline.Job
	keys map[string]bool
	// pos of some keywords, for cross-job errors.
	stagePos pipeline.Pos
	deps     []val
	// misspelled is set when an unknown key looks like script: (or
	// trigger:, run:), which is then reported once, as the typo.
	misspelled bool
}

func (d *decoder) document(doc *Node) *pipeline.Pipeline {
	p := &pipeline.Pipeline{Stages: pipeline.DefaultStages}
	if doc == nil || doc.Kind == Null {
		var pos pipeline.Pos
		if doc != nil {
			pos = doc.Pos
		}
		d.errorf(pos, "add a job with a script:", "pipeline file is empty")
		return p
	}
	root := val{n: doc, pos: doc.Pos}
	if doc.Kind != Map {
		d.errorf(doc.Pos, "a pipeline file is a map of jobs and global keywords", "pipeline file must be a map, got %s", describe(doc))
		return p
	}
	// Globals first: jobs need stages and default.
	def, defKeys := &pipeline.Job{Name: "default"}, map[string]bool{}
	var hasDefault bool
	if pr := doc.Lookup("default"); pr != nil {
		hasDefault = true
		d.defaults(root.field(*pr), def, defKeys)
	}
	for _, pr := range doc.Pairs {
		v := root.field(pr)
		switch pr.Key {
		case "stages":
			if st, ok := d.stages(v); ok {
				p.Stages = st
			}
		case "variables":
			p.Variables = d.variables(v, true)
		case "workflow":
			p.Workflow = d.workflow(v)
		case "include":
			d.includes(v)
		case "spec":
			d.spec(v)
		case "$schema":
			d.str(v, 0)
		case "image", "services", "cache", "before_script", "after_script":
			if defKeys[pr.Key] {
				if d.strict {
					d.errorf(pr.KeyPos, "keep only the one in default:", "%s is defined both at the top level and in default:", pr.Key)
				}
				continue
			}
			// Deprecated globals are default: entries, as in GitLab.
			d.commonKey(def, pr.Key, v)
			defKeys[pr.Key] = true
			hasDefault = true
		}
	}
	if hasDefault {
		p.Default = def
	}
	var jobs []*decodedJob
	for _, pr := range doc.Pairs {
		if isGlobal(pr.Key) {
			continue
		}
		if strings.HasPrefix(pr.Key, ".") {
			// Hidden jobs are templates: anything goes (GitLab's schema
			// also allows arbitrary anchors here).
			continue
		}
		if dj := d.job(root.field(pr), pr); dj != nil {
			jobs = append(jobs, dj)
		}
	}
	for _, dj := range jobs {
		applyDefault(dj, def, defKeys)
		p.Jobs = append(p.Jobs, dj.job)
	}
	if d.strict {
		if len(jobs) == 0 && len(d.errs) == 0 {
			d.errorf(doc.Pos, "add a job: a top-level key whose value has a script:", "pipeline has no visible jobs")
		}
		d.crossCheck(p, jobs)
	}
	return p
}

func isGlobal(key string) bool {
	return slices.Contains(globalKeywords, key) || key == "workflow" || key == "$schema"
}

// applyDefault copies default: keywords into a job that does not set them
// itself and inherits them. No deep merge: a job's keyword replaces the
// default's whole.
func applyDefault(dj *decodedJob, def *pipeline.Job, defKeys map[string]bool) {
	j := dj.job
	for key := range defKeys {
		if dj.keys[key] || !inheritsDefault(j.Inherit, key) {
			continue
		}
		switch key {
		case "image":
			j.Image = def.Image
		case "services":
			j.Services = def.Services
		case "before_script":
			j.BeforeScript = def.BeforeScript
		case "after_script":
			j.AfterScript = def.AfterScript
		case "cache":
			j.Cache = def.Cache
		case "artifacts":
			j.Artifacts = def.Artifacts
		case "retry":
			j.Retry = def.Retry
		case "timeout":
			j.Timeout = def.Timeout
		case "interruptible":
			j.Interruptible = def.Interruptible
		case "tags":
			j.Tags = def.Tags
		}
	}
}

func inheritsDefault(in pipeline.Inherit, key string) bool {
	return in.DefaultAll || slices.Contains(in.Default, key)
}

// defaults decodes default:.
func (d *decoder) defaults(v val, def *pipeline.Job, keys map[string]bool) {
	if d.unresolved(v) || !d.object(v, defaultKeywords) {
		return
	}
	def.Pos = v.pos
	for _, pr := range v.n.Pairs {
		fv := v.field(pr)
		if !slices.Contains(defaultKeywords, pr.Key) {
			continue
		}
		keys[pr.Key] = true
		if !d.commonKey(def, pr.Key, fv) {
			d.ignoredKey(pr.Key, fv)
		}
	}
}

// stages decodes stages:, flattening nested lists and keeping .pre first
// and .post last.
func (d *decoder) stages(v val) ([]string, bool) {
	if d.unresolved(v) {
		return nil, false
	}
	if v.n == nil || v.n.Kind != Seq {
		d.fail(v, "a list of stage names")
		return nil, false
	}
	if len(v.n.Items) == 0 {
		d.errorf(v.pos, "list at least one stage, or remove stages: to get the defaults", "stages must not be empty")
		return nil, false
	}
	var names []string
	ok := true
	for i := range v.n.Items {
		iv := v.item(i)
		if iv.n.Kind == Seq {
			sub, good := d.strList(iv, 0)
			ok = ok && good
			names = append(names, sub...)
			continue
		}
		s, good := d.str(iv, 1)
		ok = ok && good
		names = append(names, s)
	}
	if !ok {
		return nil, false
	}
	out := []string{".pre"}
	seen := map[string]bool{}
	for _, s := range names {
		if seen[s] {
			d.errorf(v.pos, "remove the duplicate", "stages: %q is listed twice", s)
			ok = false
		}
		seen[s] = true
		if s != ".pre" && s != ".post" {
			out = append(out, s)
		}
	}
	return append(out, ".post"), ok
}
