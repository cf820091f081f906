package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gantry-ci/gantry/internal/cli"
	"github.com/gantry-ci/gantry/internal/gitlabci"
)

// listExceptions are invocations where `gantry list` knowingly differs from
// what gitlab-ci-local did, each with the reason (a documented difference
// from GitLab, or a gitlab-ci-local-only option).
var listExceptions = map[string]string{
	"schema-validation-ignore__2":     "--ignore-schema-paths is a gitlab-ci-local option; GitLab rejects an empty artifacts:reports:junit",
	"manual__3":                       "gitlab-ci-local refuses to run when a needed manual job is not played; GitLab creates the pipeline and the job waits",
	"validate-dependency-chain__3":    "--validate-dependency-chain is a gitlab-ci-local option; GitLab ignores dependencies on jobs absent from the pipeline",
	"include-inputs.types.boolean__1": "gitlab-ci-local's preview drops default:interruptible; GitLab applies default: keywords (interruptible included) to every job",
	"interactive__2":                  "gantry list has no executor; gantry run --executor docker refuses @Interactive jobs as gitlab-ci-local does",
}

// listDiffs holds what TestGCLList found per invocation, so that
// TestGCLRun, which counts the --preview and --list invocations for their
// case, does not prepare and check them a second time.
var listDiffs = map[string]string{}

// listJob is one job of `gantry list --json`.
type listJob struct {
	Name         string   `json:"name"`
	Stage        string   `json:"stage"`
	When         string   `json:"when"`
	AllowFailure bool     `json:"allow_failure"`
	Needs        []string `json:"needs"`
	Played       bool     `json:"played"`
}

// TestGCLList checks, for every invocation of the public gitlab-ci-local
// cases, that `gantry list` (plus the statuses the recorded run gave each
// job) names exactly the jobs that the recorded run executed; --preview
// invocations are checked with `gantry config`, --list ones by job names.
func TestGCLList(t *testing.T) {
	var agree, total int
	var report []string
	for _, c := range gclCases(t) {
		for n := 1; n <= len(c.Invocations); n++ {
			g := golden(t, c, n)
			id := fmt.Sprintf("%s__%d", c.Case, n)
			total++
			diff := check(t, id, g, listExceptions, func(t *testing.T) string { return checkList(t, c, g) })
			listDiffs[id] = diff
			if diff == "" {
				agree++
			} else {
				report = append(report, fmt.Sprintf("  %s: %s", id, diff))
			}
		}
	}
	t.Logf("gantry list vs gitlab-ci-local 4.70.0 (public set): %d/%d invocations agree (%.1f%%)", agree, total, 100*float64(agree)/float64(total))
	for _, r := range report {
		t.Log(r)
	}
}

func checkList(t *testing.T, c gclCase, g gclGolden) string {
	a := parseGCLArgs(g.BaseArgs)
	dir := prepare(t, c, g)
	base := []string{"-C", dir}
	if a.File != "" {
		base = append(base, "-f", a.File)
	}
	switch {
	case a.Preview:
		code, out, errOut := gantry(t, append([]string{"config"}, base...)...)
		if g.ExitCode != 0 || g.Error != nil {
			if code == 0 {
				return "gitlab-ci-local rejected the file (" + firstLine(g.Error) + "), gantry config accepted it"
			}
			return ""
		}
		if code != 0 {
			return "gantry config failed: " + errOut
		}
		return samePipeline(t, strings.Join(g.OtherStdout, "\n"), out)
	}
	args := append([]string{"list", "--json"}, base...)
	for _, v := range a.Variables {
		args = append(args, "--variable", v)
	}
	setGCLEnv(t, g)
	if !a.List {
		for _, j := range a.Jobs {
			args = append(args, "--job", gitlabJobName(j))
		}
		if a.Needs {
			args = append(args, "--needs")
		}
		if a.OnlyNeeds {
			args = append(args, "--only-needs")
		}
		for _, m := range append(a.Manual, a.Jobs...) {
			// gitlab-ci-local plays a manual job named by --job.
			args = append(args, "--manual", gitlabJobName(m))
		}
	}
	code, out, errOut := gantry(t, args...)
	if g.ExitCode != 0 && len(g.Jobs) == 0 && g.Error != nil {
		if code == 0 {
			return "gitlab-ci-local rejected the pipeline (" + firstLine(g.Error) + "), gantry list accepted it"
		}
		return ""
	}
	if code != 0 {
		return "gantry list failed: " + strings.TrimSpace(errOut)
	}
	var listed struct {
		Jobs []listJob `json:"jobs"`
	}
	if err := json.Unmarshal([]byte(out), &listed); err != nil {
		return fmt.Sprintf("bad JSON from gantry list: %v", err)
	}
	var want, got []string
	if a.List {
		for _, line := range g.OtherStdout[1:] {
			want = append(want, strings.SplitN(line, ";", 2)[0])
		}
		for _, j := range listed.Jobs {
			got = append(got, j.Name)
		}
	} else {
		for _, j := range g.Jobs {
			want = append(want, j.Name)
		}
		got = predictRun(listed.Jobs, g)
	}
	for i := range want {
		want[i] = gitlabJobName(want[i])
	}
	sort.Strings(want)
	sort.Strings(got)
	if !slices.Equal(want, got) {
		return fmt.Sprintf("ran %v, gantry predicts %v", want, got)
	}
	return ""
}

var gclParallelName = regexp.MustCompile(`^(.*): \[(\d+)/(\d+)\]$`)

// gitlabJobName turns gitlab-ci-local's names of parallel jobs into
// GitLab's: "test: [1/2]" is GitLab's "test 1/2", and matrix values are
// separated by ", " ("test: [a, b]"), not ",".
func gitlabJobName(name string) string {
	if m := gclParallelName.FindStringSubmatch(name); m != nil {
		return m[1] + " " + m[2] + "/" + m[3]
	}
	if i := strings.Index(name, ": ["); i >= 0 && strings.HasSuffix(name, "]") {
		vals := strings.Split(name[i+3:len(name)-1], ",")
		for k := range vals {
			vals[k] = strings.TrimSpace(vals[k])
		}
		return name[:i] + ": [" + strings.Join(vals, ", ") + "]"
	}
	return name
}

// predictRun walks the listed jobs in order and says which would run,
// taking each job's outcome from the recorded run (a job the recording
// did not run counts as passed). Manual jobs were only listed when played.
func predictRun(jobs []listJob, g gclGolden) []string {
	recorded := map[string]string{}
	for _, j := range g.Jobs {
		recorded[j.Name] = j.Status
	}
	status := map[string]string{} // jobs predicted to run -> outcome
	var ran []string
	for _, j := range jobs {
		failed, blocked := false, false
		for _, n := range j.Needs {
			switch s, ok := status[n]; {
			case !ok:
				blocked = true // skipped, or a manual job not played
			case s == "FAIL":
				failed = true
			}
		}
		run := false
		switch j.When {
		case "on_success", "delayed":
			run = !failed && !blocked
		case "manual":
			run = j.Played && !failed && !blocked
		case "on_failure":
			run = failed
		case "always":
			run = true
		}
		if !run {
			continue
		}
		s := recorded[j.Name]
		if s == "" {
			s = "PASS"
		}
		status[j.Name] = s
		ran = append(ran, j.Name)
	}
	return ran
}

// samePipeline compares gitlab-ci-local's --preview output with gantry's
// config output by decoding both with gantry's frontend: same stages, same
// jobs, same effective keywords per job.
func samePipeline(t *testing.T, want, got string) string {
	t.Helper()
	decode := func(name, src string) (string, error) {
		doc, err := gitlabci.ParseDocument(name, []byte(src))
		if err != nil {
			return "", err
		}
		p, err := gitlabci.Decode(doc)
		if err != nil {
			return "", err
		}
		p.Default = nil // gitlab-ci-local's preview inlines default: into jobs
		return withoutPositions(p)
	}
	w, err := decode("gcl-preview.yml", want)
	if err != nil {
		return "gitlab-ci-local's preview does not decode: " + err.Error()
	}
	g, err := decode("gantry-config.yml", got)
	if err != nil {
		return "gantry config output does not decode: " + err.Error()
	}
	if w != g {
		return "merged configuration differs:\n  gcl:    " + w + "\n  gantry: " + g
	}
	return ""
}

// gantry runs the CLI in-process and returns its exit code and output.
func gantry(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.Main(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func firstLine(s *string) string {
	if s == nil {
		return ""
	}
	line, _, _ := strings.Cut(*s, "\n")
	return line
}

// withoutPositions renders v as JSON without its source positions (every
// field whose name ends in Pos), so that two files can be compared.
func withoutPositions(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	var tree any
	if err := json.Unmarshal(b, &tree); err != nil {
		return "", err
	}
	var strip func(any)
	strip = func(x any) {
		switch x := x.(type) {
		case map[string]any:
			for k, v := range x {
				if strings.HasSuffix(k, "Pos") {
					delete(x, k)
					continue
				}
				strip(v)
			}
		case []any:
			for _, v := range x {
				strip(v)
			}
		}
	}
	strip(tree)
	b, err = json.Marshal(tree)
	return string(b), err
}
