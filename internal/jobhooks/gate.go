package jobhooks

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/gantry-ci/gantry/internal/gantryfile"
	"github.com/gantry-ci/gantry/internal/plan"
	"github.com/gantry-ci/gantry/internal/report"
)

// gateApplies tells whether gantry.yml's coverage gate checks job j: the
// jobs it names (a parallel or matrix job by its name in the file too),
// else every job with a Cobertura coverage_report.
func gateApplies(g *gantryfile.Coverage, j *plan.Job) bool {
	if g == nil {
		return false
	}
	if len(g.Jobs) > 0 {
		return slices.ContainsFunc(g.Jobs, func(n gantryfile.JobName) bool {
			return n.Name == j.Name || (j.Base != "" && n.Name == j.Base)
		})
	}
	if j.Spec == nil || j.Spec.Artifacts == nil {
		return false
	}
	cr := j.Spec.Artifacts.Reports.CoverageReport
	return cr != nil && (cr.Format == "" || strings.EqualFold(cr.Format, "cobertura"))
}

// gateRow is one minimum a job's coverage was measured against.
type gateRow struct {
	What    string // the glob, or "(all files)"
	Lines   *report.Lines
	Percent float64 // rounded as shown
	Min     gantryfile.Minimum
}

func (r gateRow) below() bool { return r.Percent < r.Min.Percent }

// verdict is the gate's judgement of one job.
type verdict struct {
	// Reason says why the job fails, "" when it passes.
	Reason string
	// Below are the rows under their minimum, the whole report first.
	Below []gateRow
	// Checked counts the minimums checked.
	Checked int
	// Warnings are lines for the job's log that do not fail it.
	Warnings []string
}

// allFiles labels the whole report's row.
const allFiles = "(all files)"

// checkCoverage judges a job by gate g: cov is its Cobertura report (nil
// when it saved none that parsed), figure its coverage: regex result (nil
// when none). With a report, the whole report is held to g.Minimum and
// each glob's files to theirs; without, the figure is held to g.Minimum
// alone. A job with neither fails: a gate that a missing report passes
// would not be one.
func checkCoverage(g *gantryfile.Coverage, cov *report.Coverage, figure *float64) verdict {
	var v verdict
	var rows []gateRow
	switch {
	case cov != nil:
		if g.Minimum != nil {
			all := report.Lines{Files: len(cov.Files), Covered: cov.LinesCovered, Valid: cov.LinesValid}
			rows = append(rows, gateRow{What: allFiles, Lines: &all, Percent: round2(cov.Percent()), Min: *g.Minimum})
		}
		for _, p := range g.Paths {
			l, err := cov.Match(p.Glob)
			if err != nil || l.Files == 0 {
				v.Warnings = append(v.Warnings, fmt.Sprintf("WARNING: coverage gate: no file of the report matches %s (%s)%s",
					p.Glob, p.Pos, sampleNames(cov)))
				continue
			}
			rows = append(rows, gateRow{What: p.Glob, Lines: &l, Percent: round2(l.Percent()), Min: p.Minimum})
		}
	case figure != nil:
		if g.Minimum != nil {
			rows = append(rows, gateRow{What: allFiles, Percent: round2(*figure), Min: *g.Minimum})
		}
		if len(g.Paths) > 0 {
			v.Warnings = append(v.Warnings, "WARNING: coverage gate: no Cobertura report, per-path minimums not checked (only the coverage: figure)")
		}
	default:
		v.Reason = fmt.Sprintf("coverage unknown: no Cobertura report and no coverage: figure to check (%s)", g.Pos)
		return v
	}
	v.Checked = len(rows)
	for _, r := range rows {
		if r.below() {
			v.Below = append(v.Below, r)
		}
	}
	if len(v.Below) > 0 {
		v.Reason = v.Below[0].reason()
		if n := len(v.Below) - 1; n > 0 {
			v.Reason += fmt.Sprintf(", and %d more below %s minimum", n, plural(n, "its", "their"))
		}
	}
	return v
}

// reason is the job's failure reason for r.
func (r gateRow) reason() string {
	what := "coverage"
	if r.What != allFiles {
		what = "coverage of " + r.What
	}
	return fmt.Sprintf("%s %s%% below %s%% (%s)", what, pct(r.Percent), pct(r.Min.Percent), r.Min.Pos)
}

// lines are what the job's log shows of v.
func (v verdict) lines() []string {
	out := slices.Clone(v.Warnings)
	if len(v.Below) == 0 {
		if v.Checked > 0 && v.Reason == "" {
			out = append(out, fmt.Sprintf("Coverage gate: passed (%d %s met)", v.Checked, plural(v.Checked, "minimum", "minimums")))
		}
		return out
	}
	out = append(out, fmt.Sprintf("Coverage gate: %d below %s minimum:", len(v.Below), plural(len(v.Below), "its", "their")))
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  PATH\tLINES\tRATE\tMINIMUM\tSET AT")
	for _, r := range v.Below {
		lines := "-"
		if r.Lines != nil {
			lines = fmt.Sprintf("%d/%d", r.Lines.Covered, r.Lines.Valid)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s%%\t%s%%\t%s\n", r.What, lines, pct(r.Percent), pct(r.Min.Percent), r.Min.Pos)
	}
	tw.Flush() // writes to a strings.Builder: cannot fail
	return append(out, strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")...)
}

// sampleNames shows a few of the report's file names, to help fix a glob
// that matches none.
func sampleNames(cov *report.Coverage) string {
	files := cov.SortedFiles()
	if len(files) == 0 {
		return "; the report lists no files"
	}
	var names []string
	for _, f := range files[:min(3, len(files))] {
		names = append(names, f.Filename)
	}
	return "; its file names look like " + strings.Join(names, ", ")
}

// round2 rounds a percentage to two decimals, as GitLab stores coverage:
// 79.996% shows as 80% and passes a minimum of 80.
func round2(p float64) float64 { return math.Round(p*100) / 100 }

// pct formats a percentage without trailing zeros: 80, 71.2, 79.96.
func pct(p float64) string { return strconv.FormatFloat(round2(p), 'f', -1, 64) }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
