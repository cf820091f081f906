package jobhooks

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/executor/shell"
	"github.com/gantry-ci/gantry/internal/gantryfile"
	"github.com/gantry-ci/gantry/internal/pipeline"
	"github.com/gantry-ci/gantry/internal/plan"
	"github.com/gantry-ci/gantry/internal/scheduler"
	"github.com/gantry-ci/gantry/internal/workspace"
	"github.com/google/go-cmp/cmp"
)

// job builds a plan job; needs of an explicit job take artifacts.
func job(name, stage string, idx int, spec pipeline.Job, needs ...string) *plan.Job {
	spec.Name, spec.Stage = name, stage
	j := &plan.Job{Name: name, Base: name, Stage: stage, StageIndex: idx, Spec: &spec, Needs: []plan.Need{}}
	for _, n := range needs {
		j.Needs = append(j.Needs, plan.Need{Job: n, Artifacts: true})
		j.Dependencies = append(j.Dependencies, n)
	}
	return j
}

// run runs jobs with Hooks in a fresh project directory and returns the
// result, the log per job and the project's .gantry directory.
func run(t *testing.T, files map[string]string, jobs ...*plan.Job) (*scheduler.Result, map[string]string, *workspace.Dir) {
	t.Helper()
	return runGated(t, nil, files, jobs...)
}

// runGated is run with gantry.yml's coverage gate.
func runGated(t *testing.T, gate *gantryfile.Coverage, files map[string]string, jobs ...*plan.Job) (*scheduler.Result, map[string]string, *workspace.Dir) {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d, err := workspace.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	src, err := d.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	var names []string
	for _, j := range jobs {
		names = append(names, j.Name)
	}
	h, err := New(Config{Dir: d, Source: src, PipelineID: "1", Jobs: names, Pinned: []string{"PINNED"}, Coverage: gate})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	logs := map[string]string{}
	s, err := scheduler.New(scheduler.Config{
		Backend: shell.New(shell.Config{KillGrace: 300 * time.Millisecond}), Hooks: h, PipelineID: "1", WorkDir: root,
		OnEvent: func(ev scheduler.Event) {
			mu.Lock()
			defer mu.Unlock()
			switch ev.Kind {
			case scheduler.KindJobLog:
				logs[ev.Job] += ev.Text
			case scheduler.KindJobNotice:
				logs[ev.Job] += "# " + ev.Text + "\n"
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Run(ctx, &plan.Plan{Stages: []string{"build", "test"}, Jobs: jobs})
	if err != nil {
		t.Fatal(err)
	}
	return res, logs, d
}

func statuses(res *scheduler.Result) map[string]string {
	out := map[string]string{}
	for _, j := range res.Jobs {
		out[j.Name] = j.Status.String()
	}
	return out
}

func TestArtifactsAndDotenvFlowThroughNeeds(t *testing.T) {
	res, logs, _ := run(t, map[string]string{"src.txt": "source\n"},
		job("build", "build", 0, pipeline.Job{
			Script: []string{"mkdir -p out", "cp src.txt out/copy.txt", "echo VERSION=1.2.3 > build.env", "echo PINNED=dotenv >> build.env"},
			Artifacts: &pipeline.Artifacts{Paths: []string{"out/"},
				Reports: pipeline.Reports{Dotenv: []string{"build.env"}}},
		}),
		job("use", "test", 1, pipeline.Job{
			Script: []string{"cat out/copy.txt", "echo version=$VERSION pinned=${PINNED:-unset}"},
		}, "build"),
	)
	if diff := cmp.Diff(map[string]string{"build": "success", "use": "success"}, statuses(res)); diff != "" {
		t.Fatalf("statuses (-want +got):\n%s\nlogs: %v", diff, logs)
	}
	for _, want := range []string{"\nsource\n", "version=1.2.3 pinned=unset"} {
		if !strings.Contains(logs["use"], want) {
			t.Errorf("use's log lacks %q:\n%s", want, logs["use"])
		}
	}
}

func TestDependenciesEmptyRestoresNothing(t *testing.T) {
	use := job("use", "test", 1, pipeline.Job{Script: []string{"test ! -e out/a"}})
	use.Needs = []plan.Need{{Job: "build"}} // needs without artifacts
	res, logs, _ := run(t, nil,
		job("build", "build", 0, pipeline.Job{Script: []string{"mkdir out", "touch out/a"},
			Artifacts: &pipeline.Artifacts{Paths: []string{"out"}}}),
		use,
	)
	if res.Status != scheduler.StatusSuccess {
		t.Fatalf("pipeline %s; logs %v", res.Status, logs)
	}
}

func TestCachePullPush(t *testing.T) {
	spec := pipeline.Job{
		Script:    []string{"cat cached/n 2>/dev/null || echo none", "mkdir -p cached", "echo $CI_JOB_NAME > cached/n"},
		Cache:     []pipeline.Cache{{Key: "k-$CACHE_SUFFIX", Paths: []string{"cached/"}}},
		Variables: []pipeline.Variable{{Name: "CACHE_SUFFIX", Value: "x"}},
	}
	first := job("first", "build", 0, spec)
	first.Variables = []plan.Variable{{Name: "CACHE_SUFFIX", Value: "x"}, {Name: "CI_JOB_NAME", Value: "first"}}
	second := job("second", "test", 1, spec, "first")
	second.Variables = []plan.Variable{{Name: "CACHE_SUFFIX", Value: "x"}, {Name: "CI_JOB_NAME", Value: "second"}}
	res, logs, d := run(t, nil, first, second)
	if res.Status != scheduler.StatusSuccess {
		t.Fatalf("pipeline %s; logs %v", res.Status, logs)
	}
	if !strings.Contains(logs["first"], "\nnone\n") || !strings.Contains(logs["second"], "\nfirst\n") {
		t.Errorf("cache did not carry over:\nfirst: %s\nsecond: %s", logs["first"], logs["second"])
	}
	if _, err := os.Stat(filepath.Join(d.Path, "cache", "k-x", "cache.tar")); err != nil {
		t.Errorf("cache archive: %v", err)
	}
}

func TestReportsAndCoverage(t *testing.T) {
	junit := `<testsuite name="s"><testcase name="ok"/><testcase classname="c" name="bad"><failure message="x"/></testcase><testcase name="sk"><skipped/></testcase></testsuite>`
	res, logs, _ := run(t, map[string]string{"junit.xml": junit},
		job("test", "build", 0, pipeline.Job{
			Script:    []string{"echo 'Total coverage: 87.50%'"},
			Coverage:  `/Total coverage: (\d+\.\d+)%/`,
			Artifacts: &pipeline.Artifacts{Reports: pipeline.Reports{Junit: []string{"junit.xml"}}},
		}),
	)
	j := res.Jobs[0]
	if j.Coverage == nil || *j.Coverage != 87.5 {
		t.Errorf("coverage = %v, want 87.5; log:\n%s", j.Coverage, logs["test"])
	}
	want := &scheduler.TestCount{Total: 3, Passed: 1, Failed: 1, Skipped: 1, FailedNames: []string{"c.bad"}}
	if diff := cmp.Diff(want, j.Tests); diff != "" {
		t.Errorf("tests (-want +got):\n%s", diff)
	}
}

func TestBadDotenvFailsTheJob(t *testing.T) {
	res, logs, _ := run(t, nil,
		job("build", "build", 0, pipeline.Job{
			Script:    []string{"printf '# comment\\nA=1\\n' > x.env"},
			Artifacts: &pipeline.Artifacts{Reports: pipeline.Reports{Dotenv: []string{"x.env"}}},
		}),
	)
	if j := res.Jobs[0]; j.Status != scheduler.StatusFailed || !strings.Contains(j.Reason, "dotenv") {
		t.Errorf("got %s %q; log:\n%s", j.Status, j.Reason, logs["build"])
	}
}
