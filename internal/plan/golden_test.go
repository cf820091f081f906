package plan

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/gantry-ci/gantry/internal/gitlabci"
	"github.com/gantry-ci/gantry/internal/pipeline"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/")

// goldenTrigger is one entry of a case's .triggers.json.
type goldenTrigger struct {
	Ref       string            `json:"ref"`
	Tag       bool              `json:"tag,omitempty"`
	Source    string            `json:"source,omitempty"`
	Variables map[string]string `json:"variables,omitempty"`
	Changed   []string          `json:"changed,omitempty"`
	Files     []string          `json:"files,omitempty"`
	MR        *MergeRequest     `json:"merge_request,omitempty"`
}

// goldenJob is what a golden file records of a planned job: everything
// but the predefined variables, which TestPredefined* cover.
type goldenJob struct {
	Name         string `json:"name"`
	Stage        string `json:"stage"`
	When         string `json:"when"`
	AllowFailure bool   `json:"allow_failure"`
	StartIn      string `json:"start_in,omitempty"`
	// Needs are names, "?" marking optional ones and " (no artifacts)"
	// those with artifacts: false.
	Needs        []string          `json:"needs"`
	Implicit     bool              `json:"implicit_needs,omitempty"`
	Dependencies []string          `json:"dependencies"`
	Missing      []string          `json:"missing_dependencies,omitempty"`
	Environment  string            `json:"environment,omitempty"`
	Variables    map[string]string `json:"variables,omitempty"`
}

type goldenResult struct {
	Name  string      `json:"name,omitempty"`
	Jobs  []goldenJob `json:"jobs,omitempty"`
	Error string      `json:"error,omitempty"`
}

// TestGolden plans each testdata/<case>.gitlab-ci.yml, through the real
// frontend, for every trigger of <case>.triggers.json (a push to main when
// absent) and compares with <case>.golden.json. Refresh with -update.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.gitlab-ci.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".gitlab-ci.yml")
		t.Run(name, func(t *testing.T) {
			doc, err := gitlabci.Resolve(context.Background(), gitlabci.Options{Dir: "testdata", File: filepath.Base(file)})
			if err != nil {
				t.Fatal(err)
			}
			p, err := gitlabci.Decode(doc)
			if err != nil {
				t.Fatal(err)
			}
			triggers := map[string]goldenTrigger{"main": {Ref: "main"}}
			if raw, err := os.ReadFile(filepath.Join("testdata", name+".triggers.json")); err == nil {
				triggers = nil
				if err := json.Unmarshal(raw, &triggers); err != nil {
					t.Fatal(err)
				}
			}
			got := map[string]goldenResult{}
			for tname, gt := range triggers {
				got[tname] = planGolden(p, gt)
			}
			out, err := json.MarshalIndent(got, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, '\n')
			golden := filepath.Join("testdata", name+".golden.json")
			if *update {
				if err := os.WriteFile(golden, out, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(out)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

func planGolden(pp *pipeline.Pipeline, gt goldenTrigger) goldenResult {
	keys := make([]string, 0, len(gt.Variables))
	for k := range gt.Variables {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	kv := make([]string, len(keys))
	for i, k := range keys {
		kv[i] = k + "=" + gt.Variables[k]
	}
	tr := trig(gt.Ref, gt.Tag, gt.Source, kv...)
	if gt.MR != nil {
		tr.MergeRequest = gt.MR
		tr.Predefined = Predefined(testRepo, tr)
	}
	tr.Changed, tr.Files = gt.Changed, gt.Files
	plan, err := New(pp, tr)
	if err != nil {
		return goldenResult{Error: err.Error()}
	}
	res := goldenResult{Name: plan.Name}
	for _, j := range plan.Jobs {
		g := goldenJob{Name: j.Name, Stage: j.Stage, When: string(j.When), AllowFailure: j.AllowFailure.Allowed,
			Needs: []string{}, Implicit: j.Implicit, Dependencies: j.Dependencies, Missing: j.MissingDependencies}
		for _, n := range j.Needs {
			s := n.Job
			if n.Optional {
				s += "?"
			}
			if !n.Artifacts {
				s += " (no artifacts)"
			}
			g.Needs = append(g.Needs, s)
		}
		if j.StartIn > 0 {
			g.StartIn = j.StartIn.String()
		}
		if j.Environment != nil {
			g.Environment = j.Environment.Name
		}
		for _, v := range j.Variables {
			if !strings.HasPrefix(v.Name, "CI_") && !strings.HasPrefix(v.Name, "GITLAB_") && v.Name != "CI" {
				if g.Variables == nil {
					g.Variables = map[string]string{}
				}
				g.Variables[v.Name] = v.Value
			}
		}
		res.Jobs = append(res.Jobs, g)
	}
	return res
}
