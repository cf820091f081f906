package gitlabci

import (
	"slices"
	"strings"

	"github.com/gantry-ci/gantry/internal/pipeline"
)

// CheckSchema checks structure only, the way GitLab's CI JSON schema (the editor
// schema, app/assets/javascripts/editor/schema/ci.json) does: no reference
// resolution, no cross-job checks. Used by `gantry lint --schema-only` and per
// top-level key by the conformance test.
func CheckSchema(doc *Node) []*Error {
	d := &decoder{}
	if doc == nil || doc.Kind != Map {
		var pos pipeline.Pos
		if doc != nil {
			pos = doc.Pos
		}
		d.errorf(pos, "a pipeline file is a map of jobs and global keywords", "pipeline file must be a map, got %s", describe(doc))
		return d.errs
	}
	root := val{n: doc, pos: doc.Pos}
	for _, pr := range doc.Pairs {
		v := root.field(pr)
		switch {
		case pr.Key == "default":
			d.defaults(v, &pipeline.Job{}, map[string]bool{})
		case pr.Key == "stages":
			d.stages(v)
		case pr.Key == "variables":
			d.variables(v, true)
		case pr.Key == "workflow":
			d.workflow(v)
		case pr.Key == "include":
			d.includes(v)
		case pr.Key == "spec":
			d.spec(v)
		case pr.Key == "$schema":
			d.str(v, 0)
		case slices.Contains(deprecatedGlobals, pr.Key):
			d.commonKey(&pipeline.Job{}, pr.Key, v)
		case strings.HasPrefix(pr.Key, "."):
			// Hidden keys may hold any YAML (templates, anchors).
		default:
			d.job(v, pr)
		}
	}
	sortErrors(d.errs)
	return d.errs
}
