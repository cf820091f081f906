package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gantry-ci/gantry/internal/gitrepo"
	"github.com/gantry-ci/gantry/internal/pipeline"
	"github.com/gantry-ci/gantry/internal/plan"
	"github.com/google/go-cmp/cmp"
)

func TestRunGitLabCILocalVariables(t *testing.T) {
	dir := runProject(t, "gcl-variables", map[string]string{
		".gitlab-ci-local-variables.yml": `
PLAIN: from-project-file
DEEP: $PLAIN-deep
FROM_YAML: project-file-wins
SCOPED:
  values:
    "review/*": for-review
    production: for-prod
FILE_VAR:
  type: file
  values:
    "*": |
      line 1
      line 2
`,
		"home/.gitlab-ci-local/variables.yml": `
global:
  HOME_VAR: global
  PLAIN: below-the-project-file
group:
  gitlab.com:acme/:
    GROUP_VAR: acme-group
  gitlab.com/other/:
    GROUP_VAR: not-ours
project:
  gitlab.com/acme/shop:
    HOME_VAR: project
`,
	})
	gitIn(t, dir, "remote", "add", "origin", "git@gitlab.com:acme/shop.git")
	code, out, errOut, _ := gantryRun(t, dir, "--home", "home")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"plain=from-project-file scoped=for-review deep=from-project-file-deep yaml=project-file-wins",
		"group=acme-group home=project",
		"line 1", "line 2",
		"no-env-job  > plain=from-project-file scoped=unset",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, want := range []string{
		`reading "gitlab.com:acme/" as "gitlab.com/acme/"`,
		"gantry: 5 variable(s) from gitlab-ci-local's " + filepath.Join(dir, gclProjectFile),
		"gantry: 3 variable(s) from gitlab-ci-local's " + filepath.Join(dir, "home", gclHomeFile),
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	// --variable still wins over every file.
	if _, out, _, _ = gantryRun(t, dir, "--home", "home", "--variable", "SCOPED=cli", "--job", "staging-job"); !strings.Contains(out, "scoped=cli") {
		t.Errorf("--variable lost to the variables file:\n%s", out)
	}
}

// TestRunPipelineID: CI_PIPELINE_ID and CI_PIPELINE_IID are the local
// pipeline's number, as in .gantry/logs/<n>.
func TestRunPipelineID(t *testing.T) {
	dir := runProject(t, "pipeline-id", map[string]string{})
	for _, n := range []string{"1", "2"} {
		_, out, _, r := gantryRun(t, dir)
		if want := "pipeline=" + n + "/" + n; !strings.Contains(out, want) {
			t.Errorf("run %s: output lacks %q:\n%s", n, want, out)
		}
		if len(r.Jobs) != 1 || !strings.Contains(r.Jobs[0].Log, filepath.Join(".gantry", "logs", n)) {
			t.Errorf("run %s: log %+v", n, r.Jobs)
		}
	}
}

func TestRunValidateDependencyChain(t *testing.T) {
	dir := runProject(t, "pipeline-id", map[string]string{})
	pipelineFile := filepath.Join(dir, ".gitlab-ci.yml")
	if err := os.WriteFile(pipelineFile, []byte(`
stages: [build, test]
build:
  stage: build
  script: [echo build]
  rules: [{if: $NEVER}]
test:
  stage: test
  dependencies: [build]
  script: [echo test]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut, _ := gantryRun(t, dir); code != ExitOK {
		t.Fatalf("without the flag: exit %d (GitLab runs it)\n%s", code, errOut)
	}
	code, _, errOut, _ := gantryRun(t, dir, "--validate-dependency-chain")
	if code != ExitInvalid || !strings.Contains(errOut, `job "test": dependencies: build is not in this pipeline`) {
		t.Errorf("exit %d, stderr:\n%s", code, errOut)
	}
}

func TestLoadGCLVariablesErrors(t *testing.T) {
	tests := []struct {
		name, project, want string
	}{
		{"null value", "A:\n", ".gitlab-ci-local-variables.yml:1:3: A: no value"},
		{"bad type", "A:\n  type: secret\n  values: {'*': x}\n", ":2:9: A: type must be file or variable"},
		{"unknown key", "A:\n  valeus: {'*': x}\n", `:2:3: A: unknown key "valeus"`},
		{"no values", "A:\n  type: file\n", ":2:3: A: want values:"},
		{"list value", "A: [1, 2]\n", ":1:4: A: want a value or {type, values}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, gclProjectFile), []byte(tt.project), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := loadGCLVariables("", filepath.Join(dir, gclProjectFile), gitrepo.Remote{}, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestLoadGCLVariablesDotenvAndPaths(t *testing.T) {
	home := t.TempDir()
	dir := t.TempDir()
	files := map[string]string{
		filepath.Join(dir, gclProjectFile):                    "TOKEN=abc\nQUOTED=\"a b\"\n",
		filepath.Join(home, "key.pem"):                        "PEM",
		filepath.Join(home, ".gitlab-ci-local/variables.yml"): "global:\n  KEY: ~/key.pem\n  MISSING: ~/nope/\n",
	}
	for p, c := range files {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	g, err := loadGCLVariables(home, filepath.Join(dir, gclProjectFile), gitrepo.Remote{}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	want := []plan.Variable{
		{Name: "KEY", Value: "PEM", Raw: true, File: true},
		{Name: "MISSING", Value: "warn: MISSING is pointing to invalid path\n", Raw: true, File: true},
		{Name: "TOKEN", Value: "abc"},
		{Name: "QUOTED", Value: "a b"},
	}
	if diff := cmp.Diff(want, g.pipeline()); diff != "" {
		t.Errorf("pipeline variables (-want +got):\n%s", diff)
	}
}

func TestGCLScopes(t *testing.T) {
	g := &gclVars{vars: map[string]*gclVar{}}
	g.add("V", false, gclValue{scope: "*", content: "any", level: gclGlobal})
	g.add("V", false, gclValue{scope: "review/*", content: "review", level: gclGroup})
	g.add("V", false, gclValue{scope: "review/*", content: "review-project", level: gclProject})
	g.add("V", false, gclValue{scope: "prod.eu", content: "eu", level: gclGlobal})
	for _, v := range g.vars {
		sortGCLValues(v)
	}
	tests := []struct{ env, want string }{
		{"", "any"},
		{"review/feature-1", "review-project"},
		{"prod.eu", "eu"},
		{"prodxeu", "any"}, // . is a dot, not a regexp
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			j := &plan.Job{Name: "j"}
			if tt.env != "" {
				j.Environment = &pipeline.Environment{Name: tt.env}
			}
			g.apply(&plan.Plan{Jobs: []*plan.Job{j}}, nil)
			if got, _ := j.Lookup("V"); got != tt.want {
				t.Errorf("V = %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzLoadGCLVariables(f *testing.F) {
	for _, s := range []string{"A: b\n", "A:\n  values: {'*': x, 'p*': y}\n", "A=1\n", "global: {X: ~/f}\n", "- x\n", "{", "A: !!binary aGk=\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, gclProjectFile), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		g, err := loadGCLVariables("", filepath.Join(dir, gclProjectFile), gitrepo.Remote{}, &bytes.Buffer{})
		if err != nil {
			return
		}
		g.pipeline()
		g.apply(&plan.Plan{Jobs: []*plan.Job{{Name: "j", Environment: &pipeline.Environment{Name: "e"}}}}, nil)
	})
}

// TestRunVariablesFile: gitlab-ci-local's --variables-file names the
// project file, YAML or dotenv, in place of .gitlab-ci-local-variables.yml.
func TestRunVariablesFile(t *testing.T) {
	dir := runProject(t, "variables-file", map[string]string{
		".gitlab-ci-local-variables.yml": "SECRET: default-file\n",
		"custom.yml":                     "SECRET:\n  values:\n    '*': from-yaml\n",
		"custom.env":                     "# dotenv\nSECRET=\"from dotenv\"\n",
	})
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{"default file", nil, ExitOK, "secret=default-file"},
		{"yaml", []string{"--variables-file", "custom.yml"}, ExitOK, "secret=from-yaml"},
		{"dotenv", []string{"--variables-file", "custom.env"}, ExitOK, "secret=from dotenv"},
		{"missing", []string{"--variables-file", "nope.yml"}, ExitInvalid, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut, _ := gantryRun(t, dir, tt.args...)
			if code != tt.wantCode || !strings.Contains(out, tt.want) {
				t.Errorf("exit %d (want %d), output lacks %q:\n%s\n%s", code, tt.wantCode, tt.want, out, errOut)
			}
		})
	}
}
