package conformance

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/gantry-ci/gantry/internal/scheduler"
	"github.com/gantry-ci/gantry/internal/workspace"
)

// runExceptions are invocations where `gantry run` knowingly differs from
// what gitlab-ci-local did, each with the reason: a documented difference
// from GitLab, or a gitlab-ci-local-only feature.
var runExceptions = map[string]string{
	"include-rules__1": "GitLab sets GITLAB_CI=true, as gantry does; gitlab-ci-local sets it to false",
	"manual__3": "GitLab does not refuse a pipeline whose job needs an unplayed manual job: the job " +
		"waits (gantry: skipped, pipeline passes); gitlab-ci-local exits with an error",
	"schema-validation-ignore__2": "gitlab-ci-local only: --ignore-schema-paths accepts a file GitLab rejects",
}

// TestGCLRun runs every public gitlab-ci-local invocation that runs jobs
// (not --preview or --list) with `gantry run --json` and compares, as the
// corpus README says: exit status class, the jobs that ran, their
// statuses, after_script failures, coverage and output lines. It prints
// the agreement per invocation and per case, a case agreeing when all its
// invocations do (its --preview and --list ones checked as TestGCLList
// does), and every disagreement with its reason.
func TestGCLRun(t *testing.T) {
	var agree, total, unexplained int
	var report []string
	var casesAgree, cases int
	var caseReport []string
	for _, c := range gclCases(t) {
		var caseDiffs []string
		for n := 1; n <= len(c.Invocations); n++ {
			g := golden(t, c, n)
			a := parseGCLArgs(g.BaseArgs)
			id := fmt.Sprintf("%s__%d", c.Case, n)
			if a.Preview || a.List {
				// Not runs: gcl_list_test.go reports them; here they only
				// count for their case.
				diff, ok := listDiffs[id]
				if !ok {
					t.Run(id, func(t *testing.T) { diff = checkList(t, c, g) })
				}
				if diff != "" {
					caseDiffs = append(caseDiffs, fmt.Sprintf("%s (%s)", id, reasonOr(listExceptions[id])))
				}
				continue
			}
			total++
			diff := check(t, id, g, runExceptions, func(t *testing.T) string { return checkRun(t, c, g, a) })
			if diff == "" {
				agree++
				continue
			}
			reason := runExceptions[id]
			if reason == "" {
				unexplained++
			}
			report = append(report, fmt.Sprintf("  %s (%s): %s", id, reasonOr(reason), diff))
			caseDiffs = append(caseDiffs, fmt.Sprintf("%s (%s)", id, reasonOr(reason)))
		}
		cases++
		if len(caseDiffs) == 0 {
			casesAgree++
		} else {
			caseReport = append(caseReport, fmt.Sprintf("  %s: %s", c.Case, strings.Join(caseDiffs, "; ")))
		}
	}
	t.Logf("gantry run vs gitlab-ci-local 4.70.0 (public set): %d/%d cases agree (%.1f%%), %d/%d run invocations (%.1f%%); "+
		"every other one is a documented difference (%d unexplained)",
		casesAgree, cases, 100*float64(casesAgree)/float64(cases), agree, total, 100*float64(agree)/float64(total), unexplained)
	t.Log("cases that disagree:")
	for _, r := range caseReport {
		t.Log(r)
	}
	t.Log("run invocations that disagree:")
	for _, r := range report {
		t.Log(r)
	}
}

func reasonOr(reason string) string {
	if reason == "" {
		return "unexplained"
	}
	return reason
}

// ranJob is what gantry's events say about one job.
type ranJob struct {
	status   scheduler.Status
	afterErr bool
	coverage *float64
	lines    []string
}

func checkRun(t *testing.T, c gclCase, g gclGolden, a gclArgs) string {
	dir := prepare(t, c, g)
	args := []string{"run", "--json", "-C", dir}
	if a.File != "" {
		args = append(args, "-f", a.File)
	}
	for _, v := range a.Variables {
		args = append(args, "--variable", v)
	}
	setGCLEnv(t, g)
	for _, j := range a.Jobs {
		args = append(args, "--job", j)
	}
	for _, st := range a.Stages {
		args = append(args, "--stage", st)
	}
	if a.Needs {
		args = append(args, "--needs")
	}
	if a.OnlyNeeds {
		args = append(args, "--only-needs")
	}
	for _, m := range a.Manual {
		args = append(args, "--manual", m)
	}
	if a.Concurrency != "" {
		args = append(args, "-j", a.Concurrency)
	}
	if a.VariablesFile != "" {
		args = append(args, "--variables-file", a.VariablesFile)
	}
	if a.ValidateDeps {
		args = append(args, "--validate-dependency-chain")
	}
	if a.Docker {
		args = append(args, "--executor", "docker")
	}
	if a.Home != "" {
		args = append(args, "--home", filepath.Join(dir, a.Home))
	}
	for _, pre := range g.PreRuns {
		pa := parseGCLArgs(pre)
		pre := []string{"run", "--json", "-C", dir}
		for _, j := range pa.Jobs {
			pre = append(pre, "--job", j)
		}
		gantryIn(t, pre...)
	}
	code, out, errOut := gantryIn(t, args...)

	wantFail := g.ExitCode != 0
	if wantFail != (code != 0) {
		return fmt.Sprintf("gitlab-ci-local exited %d, gantry %d (%s)", g.ExitCode, code, firstLineOf(errOut))
	}
	if g.Error != nil && len(g.Jobs) == 0 {
		return "" // both refused the pipeline
	}
	jobs, order, err := readEvents(out)
	if err != nil {
		return err.Error()
	}
	norm := normaliser(dir, a, c)
	var want, got []string
	for _, j := range g.Jobs {
		want = append(want, gclName(j.Name))
	}
	for _, name := range order {
		got = append(got, gclName(name))
	}
	sort.Strings(want)
	sort.Strings(got)
	if !slices.Equal(want, got) {
		return fmt.Sprintf("ran %v, gantry ran %v", want, got)
	}
	byName := map[string]*ranJob{}
	for name, j := range jobs {
		byName[gclName(name)] = j
	}
	var diffs []string
	for _, w := range g.Jobs {
		name := gclName(w.Name)
		j := byName[name]
		if s := gclStatus(j.status); s != w.Status {
			diffs = append(diffs, fmt.Sprintf("%s: status %s, gantry %s", name, w.Status, s))
		}
		if w.AfterScriptWarn != j.afterErr {
			diffs = append(diffs, fmt.Sprintf("%s: after_script failed %v, gantry %v", name, w.AfterScriptWarn, j.afterErr))
		}
		if d := compareCoverage(w.Coverage, j.coverage); d != "" {
			diffs = append(diffs, name+": "+d)
		}
		wantLines := normLines(append(slices.Clone(w.Output), w.Stderr...), norm(w.Name))
		gotLines := normLines(j.lines, norm(w.Name))
		if d := compareLines(wantLines, gotLines); d != "" {
			diffs = append(diffs, name+": "+d)
		}
	}
	return strings.Join(diffs, "; ")
}

// readEvents collects each started job's final status and output lines
// (without the "$ command" lines, which gitlab-ci-local records apart).
func readEvents(out string) (map[string]*ranJob, []string, error) {
	jobs := map[string]*ranJob{}
	var order []string
	cmds := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		if !bytes.HasPrefix(sc.Bytes(), []byte("{")) {
			continue // an @Interactive job's output, written to the terminal
		}
		var ev scheduler.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			return nil, nil, fmt.Errorf("bad event %q: %v", sc.Text(), err)
		}
		j := jobs[ev.Job]
		switch ev.Kind {
		case scheduler.KindJobStarted:
			if j == nil {
				j = &ranJob{}
				jobs[ev.Job] = j
				order = append(order, ev.Job)
			}
			j.lines = nil // the last attempt's output counts
		case scheduler.KindJobLog:
			for _, line := range strings.Split(strings.TrimSuffix(ev.Text, "\n"), "\n") {
				if strings.HasPrefix(line, "$ ") {
					cmds[line] = true
					continue
				}
				j.lines = append(j.lines, line)
			}
		case scheduler.KindJobFinished:
			j.status, j.afterErr, j.coverage = ev.Status, ev.AfterScriptFailed, ev.Coverage
		}
	}
	return jobs, order, sc.Err()
}

var (
	ansiRE      = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)
	timestampRE = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?`)
	parallelRE  = regexp.MustCompile(`^(.*) (\d+)/(\d+)$`)
)

// normaliser returns, per job, the corpus README's normalisation. The
// job's directories differ by design and read as the paths gitlab-ci-local
// would have printed: it runs a job in .gitlab-ci-local/builds/<job> with
// --shell-isolation and in the project itself without, gantry always in
// .gantry/builds/<slug>; file variables are in
// /tmp/gitlab-ci-local-file-variables-<group>-<project>-<job id> there,
// in <workspace>.tmp here (as GitLab Runner's shell executor puts them).
func normaliser(dir string, a gclArgs, c gclCase) func(job string) func(string) string {
	_, project, _ := strings.Cut(strings.TrimSuffix(c.remote(), ".git"), ":")
	gclFiles := "/tmp/gitlab-ci-local-file-variables-" + strings.ReplaceAll(project, "/", "-") + "-<JOB_ID>"
	return func(job string) func(string) string {
		ws := filepath.Join(dir, workspace.DirName, "builds", workspace.Slug(job))
		gclWS := "<CWD>"
		if a.ShellIsolation {
			gclWS = "<CWD>/.gitlab-ci-local/builds/" + job
		}
		return func(s string) string {
			s = ansiRE.ReplaceAllString(s, "")
			if i := strings.LastIndexByte(s, '\r'); i >= 0 {
				s = s[i+1:]
			}
			s = strings.ReplaceAll(s, ws+".tmp", gclFiles)
			s = strings.ReplaceAll(s, ws, gclWS)
			s = strings.ReplaceAll(s, dir, "<CWD>")
			s = timestampRE.ReplaceAllString(s, "<TIMESTAMP>")
			return strings.TrimRight(s, " \t")
		}
	}
}

func normLines(lines []string, norm func(string) string) []string {
	var out []string
	for _, l := range lines {
		if l = norm(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// compareLines wants the same lines; stdout and stderr interleave
// differently when merged, so the order is compared as sorted lists.
func compareLines(want, got []string) string {
	if slices.Equal(want, got) {
		return ""
	}
	w, g := slices.Clone(want), slices.Clone(got)
	sort.Strings(w)
	sort.Strings(g)
	if slices.Equal(w, g) {
		return ""
	}
	return fmt.Sprintf("output %q, gantry %q", want, got)
}

func compareCoverage(want *string, got *float64) string {
	switch {
	case want == nil && got == nil:
		return ""
	case want == nil:
		return fmt.Sprintf("coverage none, gantry %v", *got)
	case got == nil:
		return fmt.Sprintf("coverage %s, gantry none", *want)
	}
	w, err := strconv.ParseFloat(*want, 64)
	if err != nil || fmt.Sprintf("%.2f", w) != fmt.Sprintf("%.2f", *got) {
		return fmt.Sprintf("coverage %s, gantry %v", *want, *got)
	}
	return ""
}

// gclName writes a job name as gitlab-ci-local does: matrix values
// without blanks after commas, parallel instances as "name: [i/n]".
func gclName(name string) string {
	if m := parallelRE.FindStringSubmatch(name); m != nil {
		return m[1] + ": [" + m[2] + "/" + m[3] + "]"
	}
	return strings.ReplaceAll(name, ", ", ",")
}

func gclStatus(s scheduler.Status) string {
	switch s {
	case scheduler.StatusSuccess:
		return "PASS"
	case scheduler.StatusWarning:
		return "WARN"
	case scheduler.StatusFailed:
		return "FAIL"
	}
	return strings.ToUpper(s.String())
}

// gantryIn runs the CLI in-process with the corpus's fixed environment
// for jobs (HOME empty, TZ=UTC, C.UTF-8, NO_COLOR).
func gantryIn(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	for k, v := range map[string]string{"HOME": "", "TZ": "UTC", "LC_ALL": "C.UTF-8", "NO_COLOR": "1"} {
		t.Setenv(k, v)
	}
	return gantry(t, args...)
}

func firstLineOf(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}
