package gantryfile

import (
	"strconv"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/gantry-ci/gantry/internal/pipeline"
	"go.yaml.in/yaml/v3"
)

// Coverage is the coverage gate of gantry run: a job whose line coverage
// falls below a minimum fails. Minimums are percentages of lines covered.
type Coverage struct {
	// Pos is the coverage: key, where errors about the gate as a whole
	// point.
	Pos pipeline.Pos
	// Minimum applies to the whole of a job's Cobertura report, or to its
	// coverage: figure when it has no report; nil when not set.
	Minimum *Minimum
	// Paths apply to the files of a job's Cobertura report whose names
	// match a glob, in file order.
	Paths []PathMinimum
	// Jobs limit the gate to the jobs named; empty means every job with
	// an artifacts:reports:coverage_report.
	Jobs []JobName
}

// Minimum is a threshold and where gantry.yml sets it, for the reason a
// job fails with.
type Minimum struct {
	Percent float64
	Pos     pipeline.Pos
}

// PathMinimum is the minimum of the files matching Glob, taken together:
// their covered lines over their valid lines.
type PathMinimum struct {
	// Glob is a doublestar pattern (**, *, ?, [a-z], {a,b}) over the file
	// names as the Cobertura report writes them, usually relative to its
	// <source>.
	Glob string
	Minimum
}

// JobName is a job named by coverage: jobs:.
type JobName struct {
	Name string
	Pos  pipeline.Pos
}

// coverage decodes the coverage: section; key is its key, for positions.
func (d *decoder) coverage(key, n *yaml.Node) *Coverage {
	c := &Coverage{Pos: d.pos(key)}
	const hint = "write coverage: {minimum: 80, paths: {\"src/billing/**\": 90}}"
	if v := deref(n); v == nil || isNull(v) {
		d.errorf(key, hint, "coverage: sets no minimum")
		return c
	}
	errs := len(d.errs)
	for _, f := range d.fields(n, "coverage", "minimum", "paths", "jobs") {
		switch f.key {
		case "minimum":
			if p, ok := d.percent(f.value, "coverage: minimum"); ok {
				c.Minimum = &Minimum{Percent: p, Pos: d.pos(f.kpos)}
			}
		case "paths":
			c.Paths = d.pathMinimums(f.value)
		case "jobs":
			v := deref(f.value)
			items := []*yaml.Node{v}
			if v != nil && v.Kind == yaml.SequenceNode {
				items = v.Content
			}
			for _, it := range items {
				if name := d.str(it, "coverage: jobs"); name != "" {
					c.Jobs = append(c.Jobs, JobName{Name: name, Pos: d.pos(deref(it))})
				}
			}
		}
	}
	if c.Minimum == nil && len(c.Paths) == 0 && len(d.errs) == errs {
		d.errorf(key, hint, "coverage: sets no minimum")
	}
	return c
}

// pathMinimums decodes paths: {glob: percent, ...}.
func (d *decoder) pathMinimums(n *yaml.Node) []PathMinimum {
	var out []PathMinimum
	for _, f := range d.fields(n, "coverage: paths") {
		what := "coverage: paths: " + f.key
		if f.key == "" || !doublestar.ValidatePattern(f.key) {
			d.errorf(f.kpos, `write a glob like "src/billing/**" or "**/models.py"`, "%s is not a valid glob", strconv.Quote(f.key))
			continue
		}
		if p, ok := d.percent(f.value, what); ok {
			out = append(out, PathMinimum{Glob: f.key, Minimum: Minimum{Percent: p, Pos: d.pos(f.kpos)}})
		}
	}
	return out
}

// percent decodes 80, 80.5 or "80%" as a percentage from 0 to 100.
func (d *decoder) percent(n *yaml.Node, what string) (float64, bool) {
	n = deref(n)
	if n == nil || isNull(n) || n.Kind != yaml.ScalarNode {
		if n == nil {
			return 0, false
		}
		d.errorf(n, "write a percentage like 80 or 92.5", "%s must be a number", what)
		return 0, false
	}
	s := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(n.Value), "%"))
	p, err := strconv.ParseFloat(s, 64)
	if err != nil || p != p { // p != p: NaN
		d.errorf(n, "write a percentage like 80 or 92.5", "%s must be a number, not %q", what, n.Value)
		return 0, false
	}
	if p < 0 || p > 100 {
		d.errorf(n, "a minimum is a percentage of lines covered", "%s must be between 0 and 100, not %s", what, n.Value)
		return 0, false
	}
	return p, true
}
