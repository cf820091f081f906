package gitlabci

import (
	"regexp"
	"slices"
	"strings"

	"github.com/gantry-ci/gantry/internal/pipeline"
)

var cacheKeys = []string{"key", "paths", "policy", "unprotect", "untracked", "when", "fallback_keys"}

// cachePolicyRe is GitLab's policy pattern, anchored: a policy or a variable.
var cachePolicyRe = regexp.MustCompile(`^(pull-push|pull|push|\$\w{1,255})$`)

// cache decodes cache: (one map or a list of them).
func (d *decoder) cache(v val) []pipeline.Cache {
	if d.unresolved(v) {
		return nil
	}
	switch {
	case v.n != nil && v.n.Kind == Map:
		if c, ok := d.cacheItem(v); ok {
			return []pipeline.Cache{c}
		}
		return nil
	case v.n != nil && v.n.Kind == Seq:
		if d.strict && len(v.n.Items) > maxCaches {
			d.errorf(v.pos, "merge some caches", "%s: a job can have at most %d caches", v.path, maxCaches)
		}
		out := []pipeline.Cache{}
		for i := range v.n.Items {
			iv := v.item(i)
			if d.unresolved(iv) {
				continue
			}
			if c, ok := d.cacheItem(iv); ok {
				out = append(out, c)
			}
		}
		return out
	}
	d.fail(v, "a map or a list of maps")
	return nil
}

func (d *decoder) cacheItem(v val) (pipeline.Cache, bool) {
	// GitLab's defaults, so that consumers see effective values.
	c := pipeline.Cache{Pos: v.pos, Policy: "pull-push", When: pipeline.WhenOnSuccess}
	if !d.object(v, cacheKeys) {
		return c, false
	}
	for _, pr := range v.n.Pairs {
		fv := v.field(pr)
		switch pr.Key {
		case "key":
			d.cacheKey(fv, &c)
		case "paths":
			c.Paths, _ = d.strList(fv, 0)
		case "policy":
			if s, ok := d.str(fv, 1); ok {
				if !cachePolicyRe.MatchString(s) {
					hint := didYouMean(s, []string{"pull", "push", "pull-push"}, "use pull, push or pull-push")
					d.errorf(fv.pos, hint, "%s: unknown policy %q", fv.path, s)
				} else {
					c.Policy = s
				}
			}
		case "unprotect":
			c.Unprotect, _ = d.boolean(fv)
		case "untracked":
			c.Untracked, _ = d.boolean(fv)
		case "when":
			if s, ok := d.enum(fv, "on_success", "on_failure", "always"); ok {
				c.When = pipeline.When(s)
			}
		case "fallback_keys":
			if keys, ok := d.strList(fv, 0); ok {
				if len(keys) > 5 {
					d.errorf(fv.pos, "", "%s: at most 5 fallback keys", fv.path)
				}
				c.FallbackKeys = keys
			}
		}
	}
	return c, true
}

func (d *decoder) cacheKey(v val, c *pipeline.Cache) {
	if isStr(v.n) {
		k := v.n.Value
		switch {
		case k == "":
			d.errorf(v.pos, "remove key: to use the default key", "%s must not be empty", v.path)
		case strings.Contains(k, "/"):
			d.errorf(v.pos, "use - or _ instead", "%s: cache keys can't contain /", v.path)
		case strings.Trim(k, ".") == "":
			d.errorf(v.pos, "pick a name", "%s: %q is not a valid cache key", v.path, k)
		default:
			c.Key = k
		}
		return
	}
	if v.n == nil || v.n.Kind != Map {
		d.fail(v, "a string or a map with files:")
		return
	}
	d.object(v, []string{"files", "files_commits", "prefix"})
	for _, pr := range v.n.Pairs {
		fv := v.field(pr)
		switch pr.Key {
		case "files":
			c.KeyFiles = d.fileList(fv, 10)
			if d.strict && len(c.KeyFiles) > maxKeyFiles {
				// GitLab's schema allows 10, but its backend keeps the limit
				// at 2 unless the increase_ci_cache_key_files_limit feature
				// flag (off by default, 2026) is on: a pipeline with more
				// is refused.
				d.errorf(fv.pos, "list at most two files, or use several caches", "%s: at most %d files (GitLab's default limit)", fv.path, maxKeyFiles)
				c.KeyFiles = nil
			}
		case "files_commits":
			c.KeyFilesCommits = d.fileList(fv, 2)
		case "prefix":
			c.KeyPrefix, _ = d.str(fv, 0)
		}
	}
	if d.strict && c.KeyFiles == nil && c.KeyFilesCommits == nil && v.n.Lookup("files") == nil && v.n.Lookup("files_commits") == nil {
		d.errorf(v.pos, "add files: (the files whose content makes the key)", "%s: files: is required", v.path)
	}
}

// maxKeyFiles is GitLab's limit on cache:key:files when pipelines are
// created (the editor schema allows 10).
const maxKeyFiles = 2

func (d *decoder) fileList(v val, maxItems int) []string {
	files, ok := d.strList(v, 1)
	if ok && len(files) > maxItems {
		d.errorf(v.pos, "", "%s: at most %d files", v.path, maxItems)
		return nil
	}
	return files
}

var artifactKeys = []string{"paths", "exclude", "expose_as", "name", "untracked", "when", "access", "public", "expire_in", "reports"}

// artifacts decodes artifacts: (null means none).
func (d *decoder) artifacts(v val) *pipeline.Artifacts {
	if d.unresolved(v) || v.n.IsNull() {
		return nil
	}
	a := &pipeline.Artifacts{Pos: v.pos}
	if !d.object(v, artifactKeys) {
		return nil
	}
	for _, pr := range v.n.Pairs {
		fv := v.field(pr)
		switch pr.Key {
		case "paths":
			a.Paths, _ = d.strList(fv, 1)
		case "exclude":
			a.Exclude, _ = d.strList(fv, 1)
		case "expose_as":
			a.ExposeAs, _ = d.str(fv, 0)
		case "name":
			a.Name, _ = d.str(fv, 0)
		case "untracked":
			a.Untracked, _ = d.boolean(fv)
		case "when":
			if s, ok := d.enum(fv, "on_success", "on_failure", "always"); ok {
				a.When = pipeline.When(s)
			}
		case "access":
			a.Access, _ = d.enum(fv, "all", "developer", "maintainer", "none")
		case "public":
			if b, ok := d.boolean(fv); ok && v.n.Lookup("access") == nil {
				a.Access = map[bool]string{true: "all", false: "developer"}[b]
			}
		case "expire_in":
			a.ExpireIn, _ = d.durationStr(fv, 0, true)
		case "reports":
			d.reports(fv, &a.Reports)
		}
	}
	return a
}

func (d *decoder) reports(v val, r *pipeline.Reports) {
	if !d.object(v, artifactReports) {
		return
	}
	for _, pr := range v.n.Pairs {
		fv := v.field(pr)
		switch {
		case pr.Key == "coverage_report":
			if fv.n.IsNull() {
				continue
			}
			if !d.object(fv, []string{"coverage_format", "path"}) {
				continue
			}
			cr := &pipeline.CoverageReport{}
			if p := fv.n.Lookup("coverage_format"); p != nil {
				cr.Format, _ = d.enum(fv.field(*p), "cobertura", "jacoco")
			}
			if p := fv.n.Lookup("path"); p != nil {
				cr.Path, _ = d.str(fv.field(*p), 1)
			}
			if d.strict {
				d.require(fv, "coverage_format", "path")
			}
			r.CoverageReport = cr
		case stringReport[pr.Key]:
			if s, ok := d.str(fv, 0); ok {
				d.otherReport(r, pr.Key, []string{s})
			}
		case slices.Contains(artifactReports, pr.Key):
			paths, ok := d.strOrList(fv, 0)
			if !ok {
				continue
			}
			switch pr.Key {
			case "junit":
				if len(paths) == 0 {
					d.errorf(fv.pos, "", "%s must not be empty", fv.path)
				}
				r.Junit = paths
			case "dotenv":
				r.Dotenv = paths
			default:
				d.otherReport(r, pr.Key, paths)
			}
		}
	}
}

func (d *decoder) otherReport(r *pipeline.Reports, kind string, paths []string) {
	if r.Other == nil {
		r.Other = map[string][]string{}
	}
	r.Other[kind] = paths
}
