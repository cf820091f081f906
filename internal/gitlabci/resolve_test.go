package gitlabci

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

// caseOptions is the optional options.json of a golden case.
type caseOptions struct {
	Vars    map[string]string `json:"vars"`
	Changed []string          `json:"changed"`
	Inputs  map[string]any    `json:"inputs"`
	File    string            `json:"file"`
}

// TestResolveGolden resolves each testdata/resolve/<case>/ project and
// compares the rendered result with testdata/resolve/<case>.golden.yml.
func TestResolveGolden(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "resolve", "*"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, dir := range dirs {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue
		}
		n++
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			opts := Options{Dir: dir}
			if data, err := os.ReadFile(filepath.Join(dir, "options.json")); err == nil {
				var co caseOptions
				if err := json.Unmarshal(data, &co); err != nil {
					t.Fatalf("options.json: %v", err)
				}
				opts.Vars = mapVars(co.Vars)
				opts.Changed = co.Changed
				opts.Inputs = co.Inputs
				opts.File = co.File
			}
			doc, err := Resolve(context.Background(), opts)
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			var buf bytes.Buffer
			if err := Render(&buf, doc); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "resolve", name+".golden.yml")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), buf.String()); diff != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", golden, diff)
			}
		})
	}
	if n == 0 {
		t.Fatal("no cases under testdata/resolve")
	}
}

func mapVars(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// writeProject writes files (path -> content) under a new temp dir.
func writeProject(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func resolveFiles(t *testing.T, files map[string]string, opts Options) (*Node, error) {
	t.Helper()
	opts.Dir = writeProject(t, files)
	return Resolve(context.Background(), opts)
}

// render is Render to a string, for assertions.
func render(t *testing.T, n *Node) string {
	t.Helper()
	var b strings.Builder
	if err := Render(&b, n); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestResolvePositions(t *testing.T) {
	doc, err := resolveFiles(t, map[string]string{
		".gitlab-ci.yml": `include: ci/base.yml
job:
  extends: .base
  script: [make]
`,
		"ci/base.yml": `.base:
  image: alpine
  script: [echo]
`,
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	job := doc.Get("job")
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"job itself", job.Pos.String(), ".gitlab-ci.yml:3:3"},
		{"own key", job.Get("script").Pos.String(), ".gitlab-ci.yml:4:11"},
		{"inherited key", job.Get("image").Pos.String(), "ci/base.yml:2:10"},
		{"inherited key name", job.Lookup("image").KeyPos.String(), "ci/base.yml:2:3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %s, want %s", tt.got, tt.want)
			}
		})
	}
	if job.Lookup("extends") != nil {
		t.Error("extends: is still in the merged job")
	}
}

func TestResolveMainInputs(t *testing.T) {
	files := map[string]string{".gitlab-ci.yml": `spec:
  inputs:
    env: {options: [staging, production]}
    replicas: {type: number, default: 1}
---
deploy:
  script: ["deploy $[[ inputs.env ]]"]
  parallel: $[[ inputs.replicas ]]
`}
	doc, err := resolveFiles(t, files, Options{Inputs: map[string]any{"env": "production", "replicas": 3}})
	if err != nil {
		t.Fatal(err)
	}
	got := render(t, doc)
	want := "deploy:\n  script:\n    - deploy production\n  parallel: 3\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	_, err = resolveFiles(t, files, Options{Inputs: map[string]any{"env": "dev"}})
	var e *Error
	if !errors.As(err, &e) || !strings.Contains(e.Msg, "not in the list of allowed options") {
		t.Errorf("err = %v, want an options error", err)
	}
}
