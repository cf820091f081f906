package cli

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gantry-ci/gantry/internal/scheduler"
	"github.com/google/go-cmp/cmp"
)

// TestRunChildEventsJSON reads the --json stream of a run with a child
// and a grandchild pipeline: their events carry their own pipeline id,
// their parent's and the trigger job's name as the stream names it; each
// pipeline's logs are in its own .gantry/logs/<id>, and a child that
// could not be created leaves no directory.
func TestRunChildEventsJSON(t *testing.T) {
	dir := runProject(t, "child-events", map[string]string{
		"child.yml":      "show:\n  script: echo child show\nnested:\n  stage: deploy\n  trigger:\n    include: grandchild.yml\n",
		"grandchild.yml": "deep:\n  script: echo deep\n",
	})
	code, out, errOut := run(t, "run", "-C", dir, "--json")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	var events []scheduler.Event
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var ev scheduler.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		events = append(events, ev)
	}
	if len(events) == 0 || events[0].Kind != scheduler.KindPipelineCreated {
		t.Fatalf("stream does not start with pipeline.created: %v", events)
	}
	top := events[0].Pipeline
	// Children take their numbers as their trigger jobs start, and the
	// broken trigger may take one first: find them by their trigger.
	var child, grandchild string
	for _, ev := range events {
		if ev.Kind != scheduler.KindPipelineCreated {
			continue
		}
		switch ev.Trigger {
		case "kid":
			child = ev.Pipeline
		case "[kid] -> nested":
			grandchild = ev.Pipeline
		}
	}
	if child == "" || grandchild == "" || child == top || grandchild == child {
		t.Fatalf("pipeline ids: top %q, child %q, grandchild %q", top, child, grandchild)
	}

	// Each job's (pipeline, parent pipeline, trigger), and each
	// pipeline's created and finished events.
	jobs := map[string]string{}
	var pipelines []string
	for _, ev := range events {
		line := ev.Pipeline + " < " + ev.ParentPipeline + " " + ev.Trigger
		switch ev.Kind {
		case scheduler.KindPipelineCreated, scheduler.KindPipelineFinished:
			pipelines = append(pipelines, string(ev.Kind)+" "+line)
			continue
		}
		if prev, ok := jobs[ev.Job]; ok && prev != line {
			t.Errorf("job %s: events of %q and %q", ev.Job, prev, line)
		}
		jobs[ev.Job] = line
	}
	wantJobs := map[string]string{
		"build":                   top + " <  ",
		"kid":                     top + " <  ",
		"broken":                  top + " <  ",
		"[kid] -> show":           child + " < " + top + " kid",
		"[kid] -> nested":         child + " < " + top + " kid",
		"[kid -> nested] -> deep": grandchild + " < " + child + " [kid] -> nested",
	}
	if diff := cmp.Diff(wantJobs, jobs); diff != "" {
		t.Errorf("jobs' pipelines (-want +got):\n%s", diff)
	}
	wantPipelines := []string{
		"pipeline.created " + top + " <  ",
		"pipeline.created " + child + " < " + top + " kid",
		"pipeline.created " + grandchild + " < " + child + " [kid] -> nested",
		"pipeline.finished " + grandchild + " < " + child + " [kid] -> nested",
		"pipeline.finished " + child + " < " + top + " kid",
		"pipeline.finished " + top + " <  ",
	}
	if diff := cmp.Diff(wantPipelines, pipelines); diff != "" {
		t.Errorf("pipeline events (-want +got):\n%s", diff)
	}

	// Logs: one directory per pipeline that ran, each job's log in its
	// own pipeline's.
	logs := filepath.Join(dir, ".gantry", "logs")
	var files []string
	err := filepath.Walk(logs, func(p string, fi os.FileInfo, err error) error {
		if err == nil && p != logs {
			rel, _ := filepath.Rel(logs, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := []string{top, top + "/broken.log", top + "/build.log", top + "/kid.log",
		child, child + "/nested.log", child + "/show.log", grandchild, grandchild + "/deep.log"}
	slices.Sort(wantFiles)
	if diff := cmp.Diff(wantFiles, files); diff != "" {
		t.Errorf(".gantry/logs (-want +got):\n%s", diff)
	}
	if b, err := os.ReadFile(filepath.Join(logs, grandchild, "deep.log")); err != nil || !strings.Contains(string(b), "deep\n") {
		t.Errorf("deep.log: %q, %v", b, err)
	}
}

// TestRunChildResourceGroup: a parent job and a child pipeline's job of
// one resource_group never run at once, whatever -j allows; a child's job
// in the group its own trigger job holds fails at once rather than
// waiting for ever.
func TestRunChildResourceGroup(t *testing.T) {
	count := "    - echo + >> \"$COUNT_FILE\"\n    - sleep 0.3\n    - echo - >> \"$COUNT_FILE\"\n"
	dir := runProject(t, "child-resource", map[string]string{
		"child.yml": "c1:\n  resource_group: production\n  script:\n" + count +
			"nested:\n  trigger:\n    include: grandchild.yml\n    strategy: depend\n",
		"grandchild.yml": "g1:\n  resource_group: production\n  script:\n" + count,
		"locked.yml":     "inner:\n  resource_group: staging\n  script: echo never\n",
	})
	file := filepath.Join(t.TempDir(), "count")
	code, out, errOut, r := gantryRun(t, dir, "-j", "4", "--variable", "COUNT_FILE="+file)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if jobs := strings.Count(string(b), "+"); jobs != 4 {
		t.Errorf("%d jobs ran, want 4 (deploy, other, c1, g1)", jobs)
	}
	// other has no group: it may overlap one of them, never two.
	running, most := 0, 0
	for _, mark := range strings.Fields(string(b)) {
		if mark == "+" {
			running++
		} else {
			running--
		}
		most = max(most, running)
	}
	if most > 2 {
		t.Errorf("%d jobs ran at once: deploy, c1 and g1 share a resource group", most)
	}
	got := jobStatuses(r)
	if got["[locked] -> inner"] != "failed" || got["locked"] != "success" {
		t.Errorf("statuses %v: want [locked] -> inner failed (its trigger job holds staging), locked passed (no strategy)", got)
	}
	for _, j := range r.Jobs {
		if j.Name == "[locked] -> inner" && !strings.Contains(j.Reason, "resource_group staging") {
			t.Errorf("reason %q", j.Reason)
		}
	}
}
