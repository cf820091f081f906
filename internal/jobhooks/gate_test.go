package jobhooks

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gantry-ci/gantry/internal/gantryfile"
	"github.com/gantry-ci/gantry/internal/pipeline"
	"github.com/gantry-ci/gantry/internal/plan"
	"github.com/gantry-ci/gantry/internal/report"
	"github.com/gantry-ci/gantry/internal/scheduler"
	"github.com/google/go-cmp/cmp"
)

// cobertura writes a Cobertura report whose files have the given covered
// and valid line counts, in file order, with the root's line-rate.
func cobertura(files ...any) string {
	var b strings.Builder
	covered, valid := 0, 0
	for i := 0; i+2 < len(files); i += 3 {
		covered += files[i+1].(int)
		valid += files[i+2].(int)
	}
	fmt.Fprintf(&b, "<?xml version=\"1.0\" ?>\n<coverage line-rate=\"%.4f\" lines-covered=\"%d\" lines-valid=\"%d\">\n<packages><package><classes>\n",
		float64(covered)/float64(max(valid, 1)), covered, valid)
	for i := 0; i+2 < len(files); i += 3 {
		fmt.Fprintf(&b, "<class filename=%q><lines>\n", files[i].(string))
		for n := 1; n <= files[i+2].(int); n++ {
			hits := 0
			if n <= files[i+1].(int) {
				hits = 1
			}
			fmt.Fprintf(&b, "<line number=\"%d\" hits=\"%d\"/>\n", n, hits)
		}
		b.WriteString("</lines></class>\n")
	}
	b.WriteString("</classes></package></packages>\n</coverage>\n")
	return b.String()
}

func parseCobertura(t *testing.T, files ...any) *report.Coverage {
	t.Helper()
	c, err := report.ParseCobertura(strings.NewReader(cobertura(files...)), "coverage.xml")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func at(line, col int) pipeline.Pos { return pipeline.Pos{File: "gantry.yml", Line: line, Col: col} }

func TestCheckCoverage(t *testing.T) {
	// 356/500 = 71.2% overall; catalog/services 25/40 = 62.5%; catalog/models 91/100.
	cov := parseCobertura(t,
		"catalog/services/pricing.py", 20, 30,
		"catalog/services/stock.py", 5, 10,
		"catalog/models.py", 91, 100,
		"config/settings.py", 240, 360,
	)
	global := func(p float64) *gantryfile.Minimum { return &gantryfile.Minimum{Percent: p, Pos: at(2, 3)} }
	path := func(glob string, p float64, line int) gantryfile.PathMinimum {
		return gantryfile.PathMinimum{Glob: glob, Minimum: gantryfile.Minimum{Percent: p, Pos: at(line, 5)}}
	}
	figure := func(p float64) *float64 { return &p }
	tests := []struct {
		name     string
		gate     gantryfile.Coverage
		cov      *report.Coverage
		figure   *float64
		reason   string
		below    []string // what of each row below its minimum
		warnings int
	}{
		{name: "global passes", gate: gantryfile.Coverage{Minimum: global(70)}, cov: cov},
		{name: "global fails", gate: gantryfile.Coverage{Minimum: global(80)}, cov: cov,
			reason: "coverage 71.2% below 80% (gantry.yml:2:3)", below: []string{allFiles}},
		{name: "path fails", gate: gantryfile.Coverage{Minimum: global(70), Paths: []gantryfile.PathMinimum{
			path("catalog/services/**", 95, 4), path("catalog/*.py", 90, 5)}}, cov: cov,
			reason: "coverage of catalog/services/** 62.5% below 95% (gantry.yml:4:5)", below: []string{"catalog/services/**"}},
		{name: "global and paths fail", gate: gantryfile.Coverage{Minimum: global(80), Paths: []gantryfile.PathMinimum{
			path("catalog/services/**", 95, 4), path("config/**", 70, 5)}}, cov: cov,
			reason: "coverage 71.2% below 80% (gantry.yml:2:3), and 2 more below their minimum",
			below:  []string{allFiles, "catalog/services/**", "config/**"}},
		{name: "a glob matching nothing warns", gate: gantryfile.Coverage{Paths: []gantryfile.PathMinimum{
			path("backend/catalog/**", 99, 4)}}, cov: cov, warnings: 1},
		{name: "figure without report", gate: gantryfile.Coverage{Minimum: global(80)}, figure: figure(79.5),
			reason: "coverage 79.5% below 80% (gantry.yml:2:3)", below: []string{allFiles}},
		{name: "figure rounds as shown", gate: gantryfile.Coverage{Minimum: global(80)}, figure: figure(79.996)},
		{name: "figure cannot check paths", gate: gantryfile.Coverage{Paths: []gantryfile.PathMinimum{
			path("catalog/**", 99, 4)}}, figure: figure(10), warnings: 1},
		{name: "report wins over the figure", gate: gantryfile.Coverage{Minimum: global(80)}, cov: cov, figure: figure(99),
			reason: "coverage 71.2% below 80% (gantry.yml:2:3)", below: []string{allFiles}},
		{name: "nothing to check", gate: gantryfile.Coverage{Pos: at(1, 1), Minimum: global(80)},
			reason: "coverage unknown: no Cobertura report and no coverage: figure to check (gantry.yml:1:1)"},
		{name: "zero minimum passes an empty report", gate: gantryfile.Coverage{Minimum: global(0)}, cov: parseCobertura(t)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := checkCoverage(&tt.gate, tt.cov, tt.figure)
			if v.Reason != tt.reason {
				t.Errorf("reason = %q, want %q", v.Reason, tt.reason)
			}
			var below []string
			for _, r := range v.Below {
				below = append(below, r.What)
			}
			if diff := cmp.Diff(tt.below, below); diff != "" {
				t.Errorf("below (-want +got):\n%s", diff)
			}
			if len(v.Warnings) != tt.warnings {
				t.Errorf("warnings = %q, want %d", v.Warnings, tt.warnings)
			}
		})
	}
}

func TestVerdictLines(t *testing.T) {
	cov := parseCobertura(t, "catalog/services/pricing.py", 25, 40, "catalog/models.py", 331, 460)
	g := &gantryfile.Coverage{
		Minimum: &gantryfile.Minimum{Percent: 80, Pos: at(2, 3)},
		Paths: []gantryfile.PathMinimum{
			{Glob: "catalog/services/**", Minimum: gantryfile.Minimum{Percent: 95, Pos: at(4, 5)}},
			{Glob: "catalog/models.py", Minimum: gantryfile.Minimum{Percent: 50, Pos: at(5, 5)}},
			{Glob: "gone/**", Minimum: gantryfile.Minimum{Percent: 50, Pos: at(6, 5)}},
		},
	}
	want := []string{
		"WARNING: coverage gate: no file of the report matches gone/** (gantry.yml:6:5); its file names look like catalog/models.py, catalog/services/pricing.py",
		"Coverage gate: 2 below their minimum:",
		"  PATH                 LINES    RATE   MINIMUM  SET AT",
		"  (all files)          356/500  71.2%  80%      gantry.yml:2:3",
		"  catalog/services/**  25/40    62.5%  95%      gantry.yml:4:5",
	}
	if diff := cmp.Diff(want, checkCoverage(g, cov, nil).lines()); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
	g.Minimum.Percent, g.Paths[0].Percent = 70, 60
	want = []string{want[0], "Coverage gate: passed (3 minimums met)"}
	if diff := cmp.Diff(want, checkCoverage(g, cov, nil).lines()); diff != "" {
		t.Errorf("lines when passing (-want +got):\n%s", diff)
	}
}

func TestGateApplies(t *testing.T) {
	withReport := &plan.Job{Name: "test", Base: "test", Spec: &pipeline.Job{Artifacts: &pipeline.Artifacts{
		Reports: pipeline.Reports{CoverageReport: &pipeline.CoverageReport{Format: "cobertura", Path: "coverage.xml"}}}}}
	jacoco := &plan.Job{Name: "java", Base: "java", Spec: &pipeline.Job{Artifacts: &pipeline.Artifacts{
		Reports: pipeline.Reports{CoverageReport: &pipeline.CoverageReport{Format: "jacoco", Path: "jacoco.xml"}}}}}
	regexOnly := &plan.Job{Name: "unit", Base: "unit", Spec: &pipeline.Job{Coverage: `/(\d+)%/`}}
	parallel := &plan.Job{Name: "unit 2/3", Base: "unit", Spec: &pipeline.Job{}}
	named := &gantryfile.Coverage{Jobs: []gantryfile.JobName{{Name: "unit"}}}
	all := &gantryfile.Coverage{}
	tests := []struct {
		name string
		gate *gantryfile.Coverage
		job  *plan.Job
		want bool
	}{
		{"no gate", nil, withReport, false},
		{"default: a cobertura report", all, withReport, true},
		{"default: not jacoco", all, jacoco, false},
		{"default: not a regex alone", all, regexOnly, false},
		{"named: the job", named, regexOnly, true},
		{"named: a parallel instance by its base", named, parallel, true},
		{"named: not another job", named, withReport, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := gateApplies(tt.gate, tt.job); got != tt.want {
				t.Errorf("gateApplies = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestCoverageGateFailsTheJob runs jobs that write a real Cobertura report
// through the hooks: above the minimums they pass, below they fail with
// the reason and the table in their log; a job that already failed is not
// judged again.
func TestCoverageGateFailsTheJob(t *testing.T) {
	report := func(name string, files ...any) pipeline.Job {
		return pipeline.Job{
			Script: []string{"cat > " + name + " <<'EOF'\n" + cobertura(files...) + "EOF"},
			Artifacts: &pipeline.Artifacts{Reports: pipeline.Reports{
				CoverageReport: &pipeline.CoverageReport{Format: "cobertura", Path: name}}},
		}
	}
	broken := report("broken.xml", "app/a.py", 1, 10)
	broken.Script = append(broken.Script, "exit 3")
	gate := &gantryfile.Coverage{
		Pos:     at(1, 1),
		Minimum: &gantryfile.Minimum{Percent: 80, Pos: at(2, 3)},
		Paths:   []gantryfile.PathMinimum{{Glob: "app/billing/**", Minimum: gantryfile.Minimum{Percent: 90, Pos: at(4, 5)}}},
	}
	res, logs, _ := runGated(t, gate, nil,
		job("good", "build", 0, report("good.xml", "app/billing/invoice.py", 19, 20, "app/views.py", 8, 10)),
		job("low", "build", 0, report("low.xml", "app/billing/invoice.py", 10, 20, "app/views.py", 10, 10)),
		job("broken", "build", 0, broken),
		job("untested", "build", 0, pipeline.Job{Script: []string{"true"}}),
	)
	want := map[string]string{"good": "success", "low": "failed", "broken": "failed", "untested": "success"}
	if diff := cmp.Diff(want, statuses(res)); diff != "" {
		t.Fatalf("statuses (-want +got):\n%s\nlogs: %v", diff, logs)
	}
	for _, j := range res.Jobs {
		switch j.Name {
		case "low":
			if want := "coverage 66.67% below 80% (gantry.yml:2:3), and 1 more below its minimum"; j.Reason != want {
				t.Errorf("low's reason = %q, want %q", j.Reason, want)
			}
			if j.Failure != scheduler.FailureUnknown {
				t.Errorf("low's failure = %q", j.Failure)
			}
		case "broken":
			if j.Reason != "exit code 3" {
				t.Errorf("broken's reason = %q: a failed job is not judged", j.Reason)
			}
		}
	}
	lines := strings.Split(logs["low"], "\n")
	for _, w := range []string{
		"#   (all files)     20/30  66.67%  80%      gantry.yml:2:3",
		"#   app/billing/**  10/20  50%     90%      gantry.yml:4:5",
	} {
		if !slices.Contains(lines, w) {
			t.Errorf("low's log lacks %q:\n%s", w, logs["low"])
		}
	}
	if !strings.Contains(logs["good"], "# Coverage gate: passed (2 minimums met)") {
		t.Errorf("good's log:\n%s", logs["good"])
	}
	if strings.Contains(logs["untested"], "Coverage gate") || strings.Contains(logs["broken"], "Coverage gate") {
		t.Errorf("the gate judged a job it does not apply to:\n%s\n%s", logs["untested"], logs["broken"])
	}
}
