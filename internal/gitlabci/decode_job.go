package gitlabci

import (
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/gantry-ci/gantry/internal/pipeline"
)

// Limits GitLab puts on job keywords.
const (
	maxTimeout  = 30 * 24 * time.Hour // a month, GitLab's MAX_BUILD_TIMEOUT
	maxStartIn  = 7 * 24 * time.Hour
	maxParallel = 200
	maxCaches   = 4
)

// job decodes one visible job.
func (d *decoder) job(v val, pr Pair) *decodedJob {
	j := &pipeline.Job{
		Name:    pr.Key,
		Pos:     pr.KeyPos,
		Stage:   "test",
		Inherit: pipeline.Inherit{DefaultAll: true, VarsAll: true},
	}
	v.path = fmt.Sprintf("job %q", pr.Key)
	if d.unresolved(v) {
		return nil
	}
	if v.n == nil || v.n.Kind != Map {
		hint := "a job is a map of keywords, e.g. `" + pr.Key + ":` then `  script: make test`"
		if slices.Contains(jobKeywords, pr.Key) {
			hint = pr.Key + ": is a job keyword: indent it under a job name"
		} else if s := nearest(pr.Key, globalKeywords); s != "" {
			hint = "did you mean the global keyword " + s + "?"
		}
		d.errorf(pr.KeyPos, hint, "job %q must be a map, got %s", pr.Key, describe(v.n))
		return nil
	}
	dj := &decodedJob{job: j, keys: map[string]bool{}}
	for _, p := range v.n.Pairs {
		if decorator(&j.Decorators, p) {
			continue
		}
		fv := v.field(p)
		dj.keys[p.Key] = true
		if d.commonKey(j, p.Key, fv) || d.ignoredKey(p.Key, fv) {
			continue
		}
		switch p.Key {
		case "stage":
			dj.stagePos = fv.pos
			if s, ok := d.str(fv, 1); ok {
				j.Stage = s
			}
		case "script":
			j.Script, _ = d.script(fv, true)
		case "variables":
			j.Variables = d.variables(fv, false)
		case "rules":
			// rules: null is "not specified" in GitLab (it cancels rules
			// inherited through extends:), unlike rules: [].
			j.Rules = d.rules(fv, ruleJob)
			j.HasRules = !fv.n.IsNull()
			if !j.HasRules {
				j.Rules = nil
			}
		case "only":
			j.Only = d.filter(fv)
		case "except":
			j.Except = d.filter(fv)
		case "needs":
			j.Needs = d.needs(fv, false)
		case "dependencies":
			if deps, ok := d.strList(fv, 0); ok {
				j.Dependencies = deps
				for i := range fv.n.Items {
					dj.deps = append(dj.deps, fv.item(i))
				}
			}
		case "when":
			if isStr(fv.n) && fv.n.Value == string(pipeline.WhenNever) {
				// GitLab: "when:never can only be used in a rules
				// section or workflow:rules".
				d.errorf(fv.pos, "to leave the job out, write rules: [{when: never}]", "%s: never is only for rules: and workflow:rules:", fv.path)
				break
			}
			if w, ok := d.enum(fv, jobWhens...); ok {
				j.When = pipeline.When(w)
			}
		case "start_in":
			j.StartIn, _ = d.durationStr(fv, maxStartIn, false)
		case "allow_failure":
			j.AllowFailure = d.allowFailure(fv)
		case "parallel":
			j.Parallel = d.parallel(fv)
		case "coverage":
			j.Coverage = d.coverage(fv)
		case "environment":
			j.Environment = d.environment(fv)
		case "resource_group":
			j.ResourceGroup, _ = d.str(fv, 0)
		case "trigger":
			j.Trigger = d.trigger(fv)
		case "inherit":
			d.inherit(fv, &j.Inherit)
		case "extends":
			// Already applied by the resolver; only its shape is checked.
			if isStr(fv.n) {
				break
			}
			d.strList(fv, 1)
		default:
			d.errorf(p.KeyPos, keywordHint(p.Key, jobKeywords), "job %q: unknown keyword %q", pr.Key, p.Key)
			if s := nearest(p.Key, jobKeywords); s == "script" || s == "trigger" || s == "run" {
				dj.misspelled = true
			}
		}
	}
	d.jobChecks(v, dj)
	return dj
}

// jobChecks are the checks that involve several keywords of one job.
func (d *decoder) jobChecks(v val, dj *decodedJob) {
	j := dj.job
	if j.When == pipeline.WhenDelayed && !dj.keys["start_in"] {
		d.errorf(v.n.Lookup("when").Value.Pos, "add start_in: (e.g. 30 minutes)", "job %q: when: delayed needs start_in:", j.Name)
	}
	if !d.strict {
		return
	}
	name := j.Name
	switch {
	case dj.keys["script"] && dj.keys["trigger"]:
		d.errorf(v.n.Lookup("trigger").KeyPos, "a trigger job starts a downstream pipeline and runs no script: remove one of them", "job %q has both script: and trigger:", name)
	case dj.keys["script"] && dj.keys["run"]:
		d.errorf(v.n.Lookup("run").KeyPos, "use either script: or run:", "job %q has both script: and run:", name)
	case !dj.keys["script"] && !dj.keys["trigger"] && !dj.keys["run"] && !dj.misspelled:
		hint := "add script: with the commands to run, or trigger: for a downstream pipeline"
		if s := nearest(name, globalKeywords); s != "" {
			hint = "did you mean the global keyword " + s + "? otherwise add script:"
		}
		d.errorf(j.Pos, hint, "job %q has no script:", name)
	}
	if dj.keys["start_in"] {
		pos := v.n.Lookup("start_in").KeyPos
		switch {
		case j.HasRules:
			d.errorf(pos, "set start_in: in the rule that sets when: delayed", "job %q: start_in: can't be used with rules:", name)
		case j.When != pipeline.WhenDelayed:
			d.errorf(pos, "add when: delayed, or remove start_in:", "job %q: start_in: is only for when: delayed", name)
		}
	}
	if j.HasRules && (j.Only != nil || j.Except != nil) {
		d.errorf(v.n.Lookup("rules").KeyPos, "use rules: alone; only:/except: are deprecated", "job %q: rules: can't be used with only: or except:", name)
	}
}

// commonKey decodes the keywords a job shares with default:. It reports
// whether key was one of them.
func (d *decoder) commonKey(j *pipeline.Job, key string, v val) bool {
	switch key {
	case "image":
		j.Image = d.image(v)
	case "services":
		j.Services = d.services(v)
	case "before_script":
		j.BeforeScript, _ = d.script(v, false)
	case "after_script":
		j.AfterScript, _ = d.script(v, false)
	case "cache":
		j.Cache = d.cache(v)
	case "artifacts":
		j.Artifacts = d.artifacts(v)
	case "retry":
		j.Retry = d.retry(v)
	case "timeout":
		if s, ok := d.durationStr(v, maxTimeout, false); ok && s != "" {
			j.Timeout, _ = pipeline.ParseDuration(s) // validated by durationStr
		}
	case "interruptible":
		j.Interruptible, _ = d.boolean(v)
	case "tags":
		j.Tags = d.tags(v)
	default:
		return false
	}
	return true
}

// durationStr decodes a non-empty string and, in Decode, checks it is a
// GitLab duration no longer than limit ("never" allowed if never is set).
func (d *decoder) durationStr(v val, limit time.Duration, never bool) (string, bool) {
	s, ok := d.str(v, 1)
	if !ok || !d.strict || never && s == "never" {
		return s, ok
	}
	dur, err := pipeline.ParseDuration(s)
	switch {
	case err != nil:
		d.errorf(v.pos, `write e.g. "1h 30m", "45 minutes" or "90s"`, "%s: %q is not a duration", v.path, s)
		return "", false
	case dur <= 0:
		d.errorf(v.pos, "", "%s must be longer than zero", v.path)
		return "", false
	case limit > 0 && dur > limit:
		d.errorf(v.pos, "", "%s: %q is longer than the limit of %s", v.path, s, humanDuration(limit))
		return "", false
	}
	return s, true
}

func humanDuration(t time.Duration) string {
	if t%(24*time.Hour) == 0 {
		if n := int(t / (24 * time.Hour)); n == 7 {
			return "1 week"
		} else {
			return fmt.Sprintf("%d days", n)
		}
	}
	return t.String()
}

// tags decodes tags: (nested lists flatten).
func (d *decoder) tags(v val) []string {
	if d.unresolved(v) {
		return nil
	}
	if v.n == nil || v.n.Kind != Seq {
		d.fail(v, "a list of runner tags")
		return nil
	}
	// The schema wants at least one tag; Decode lets `tags: []` clear
	// default: tags.
	if len(v.n.Items) == 0 && !d.strict {
		d.errorf(v.pos, "list at least one runner tag, or remove tags:", "%s must not be empty", v.path)
		return nil
	}
	out := []string{}
	for i := range v.n.Items {
		iv := v.item(i)
		if iv.n.Kind == Seq {
			s, _ := d.strList(iv, 1)
			out = append(out, s...)
			continue
		}
		if s, ok := d.str(iv, 1); ok {
			out = append(out, s)
		}
	}
	return out
}

var coverageRe = regexp.MustCompile(`^/.+/$`)

// coverage decodes coverage: /regex/ into the pattern between the slashes.
func (d *decoder) coverage(v val) string {
	s, ok := d.str(v, 1)
	if !ok {
		return ""
	}
	if !coverageRe.MatchString(s) {
		d.errorf(v.pos, `write it between slashes, e.g. '/TOTAL.+ (\d+%)/'`, "coverage must be a regular expression between slashes, got %q", s)
		return ""
	}
	pat := s[1 : len(s)-1]
	if d.strict {
		if _, err := regexp.Compile(pat); err != nil {
			d.errorf(v.pos, "gantry uses RE2 syntax, as GitLab does", "coverage: invalid regular expression: %v", err)
		}
	}
	return pat
}

// inherit decodes inherit:.
func (d *decoder) inherit(v val, in *pipeline.Inherit) {
	if !d.object(v, []string{"default", "variables"}) {
		return
	}
	if pr := v.n.Lookup("default"); pr != nil {
		fv := v.field(*pr)
		if fv.n != nil && fv.n.Kind == Seq {
			in.DefaultAll = false
			for i := range fv.n.Items {
				if s, ok := d.enum(fv.item(i), inheritableDefaults...); ok {
					in.Default = append(in.Default, s)
				}
			}
		} else if b, ok := d.boolean(fv); ok {
			in.DefaultAll = b
		}
	}
	if pr := v.n.Lookup("variables"); pr != nil {
		fv := v.field(*pr)
		if fv.n != nil && fv.n.Kind == Seq {
			in.VarsAll = false
			vars, _ := d.strList(fv, 0)
			in.Variables = nonNilStrings(vars)
		} else if b, ok := d.boolean(fv); ok {
			in.VarsAll = b
		}
	}
}
