package gitlabci

import (
	"context"
	"strings"
	"testing"

	"github.com/gantry-ci/gantry/internal/pipeline"
	"github.com/google/go-cmp/cmp"
)

// resolveAndDecode runs a one-file project through Resolve and Decode.
func resolveAndDecode(t *testing.T, src string) (*Node, *pipeline.Pipeline, error) {
	t.Helper()
	dir := writeProject(t, map[string]string{".gitlab-ci.yml": src})
	doc, err := Resolve(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatalf("resolve: %v", err)
	}
	p, err := Decode(doc)
	return doc, p, err
}

func varMap(vs []pipeline.Variable) map[string]string {
	m := map[string]string{}
	for _, v := range vs {
		m[v.Name] = v.Value
	}
	return m
}

// TestDecodeVariablesAsGitLab checks that every place a variable is
// written gets the string GitLab sets: Psych's YAML 1.1 reading of a
// plain scalar, then Ruby's to_s. Quoted values are kept as written.
func TestDecodeVariablesAsGitLab(t *testing.T) {
	src := `variables:
  PYTHON_VERSION: 3.10
  QUOTED: "3.10"
  SINGLE: '010'
  OCTAL: 010
  HEX: 0x1F
  TIME_OF_DAY: 12:30
  BIG: 1_000
  EXP: 1.0e+3
  NOT_EXP: 1e3
  LEADING_ZERO: 08
  INF: .inf
  WORD_YES: yes
  WORD_NO: no
  BOOL_FALSE: false
  EMPTY:
  NULLISH: NuLL
  SYMBOL: :foo
  TAGGED: !!float 2.50
  STR_TAGGED: !!str 2.50
  TAGGED_ONE: !!float 1
  TAGGED_BOOL: !!bool True
  PROMPT:
    value: 1.50
    description: a float
    expand: false
  NIL_VALUE:
    value: null
workflow:
  rules:
    - variables:
        WF: 0.10
job:
  image: python:3.10
  variables:
    JOB: 2.0
  rules:
    - variables:
        RULE: 1.20
        RULE_OFF: false
  script: echo
`
	_, p, err := resolveAndDecode(t, src)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"PYTHON_VERSION": "3.1",
		"QUOTED":         "3.10",
		"SINGLE":         "010",
		"OCTAL":          "8",
		"HEX":            "31",
		"TIME_OF_DAY":    "45000",
		"BIG":            "1000",
		"EXP":            "1000.0",
		"NOT_EXP":        "1e3",
		"LEADING_ZERO":   "08",
		"INF":            "Infinity",
		"WORD_YES":       "true",
		"WORD_NO":        "false",
		"BOOL_FALSE":     "false",
		"EMPTY":          "",
		"NULLISH":        "",
		"SYMBOL":         "foo",
		"TAGGED":         "2.5",
		"STR_TAGGED":     "2.50",
		"TAGGED_ONE":     "1.0",
		"TAGGED_BOOL":    "true",
		"PROMPT":         "1.5",
		"NIL_VALUE":      "",
	}
	if diff := cmp.Diff(want, varMap(p.Variables)); diff != "" {
		t.Errorf("global variables (-want +got):\n%s", diff)
	}
	if got := varMap(p.Workflow.Rules[0].Variables)["WF"]; got != "0.1" {
		t.Errorf("workflow:rules:variables WF = %q, want 0.1", got)
	}
	job := p.Jobs[0]
	if got := varMap(job.Variables)["JOB"]; got != "2.0" {
		t.Errorf("job variable JOB = %q, want 2.0", got)
	}
	if diff := cmp.Diff(map[string]string{"RULE": "1.2", "RULE_OFF": "false"}, varMap(job.Rules[0].Variables)); diff != "" {
		t.Errorf("rules:variables (-want +got):\n%s", diff)
	}
	if job.Image == nil || job.Image.Name != "python:3.10" {
		t.Errorf("image = %+v, want python:3.10 untouched", job.Image)
	}
}

// TestDecodeVariablesGitLabRefuses: values GitLab's loader or validation
// refuses are errors at the value, with a hint to quote it.
func TestDecodeVariablesGitLabRefuses(t *testing.T) {
	tests := []struct {
		name, src, want, hint string
	}{
		{"date", "variables:\n  RELEASED: 2024-01-01\njob:\n  script: x\n", "2:13: RELEASED: 2024-01-01 is a date in YAML, which GitLab refuses to load (Tried to load unspecified class: Date)", `quote it: "2024-01-01"`},
		{"time", "job:\n  script: x\n  variables:\n    AT: 2024-01-01 10:00:00\n", "4:9: AT: 2024-01-01 10:00:00 is a time in YAML", `quote it: "2024-01-01 10:00:00"`},
		{"malformed number", "variables:\n  H: 0x_\njob:\n  script: x\n", "2:6: H: 0x_ is a malformed number in YAML, which GitLab refuses to load (Invalid YAML syntax)", `quote it: "0x_"`},
		{"rules null", "job:\n  script: x\n  rules:\n    - variables:\n        V:\n", "5:9: job \"job\": rules[0]:variables:V must be a string, got nothing", `write V: "" for an empty value`},
		{"null not in options", "variables:\n  V:\n    value: null\n    options: [a, b]\njob:\n  script: x\n", "3:5: variables:V: value is null, which is not one of the options", "set value: to one of the options"},
		{"number not in options", "variables:\n  V:\n    value: 3.10\n    options: [\"3.10\", \"3.11\"]\njob:\n  script: x\n", "3:12: variables:V: value 3.10 is a number in YAML, and options: lists strings", `quote it: "3.10"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := resolveAndDecode(t, tt.src)
			if err == nil {
				t.Fatal("decoded without error")
			}
			var found bool
			for _, e := range Errors(err) {
				at := strings.TrimPrefix(e.Error(), ".gitlab-ci.yml:")
				if strings.HasPrefix(at, tt.want) && strings.Contains(e.Hint, tt.hint) {
					found = true
				}
			}
			if !found {
				t.Errorf("no error %q (hint %q) in:\n%v", tt.want, tt.hint, err)
			}
		})
	}
}

// TestWarnings: a variable whose GitLab string is not its text is a
// warning at the value, once however many jobs share it.
func TestWarnings(t *testing.T) {
	src := `variables:
  PYTHON_VERSION: 3.10
  SAME: 1.0
  QUOTED: "3.10"
  COUNT: 3
  OFF: false
  ON: True
.base:
  variables:
    NODE: 010
a:
  extends: .base
  script: x
b:
  extends: .base
  script: x
  rules:
    - variables:
        R: 12:30
`
	doc, _, err := resolveAndDecode(t, src)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range Warnings(doc) {
		got = append(got, w.Error())
	}
	want := []string{
		`.gitlab-ci.yml:2:19: PYTHON_VERSION: 3.10 is a number in YAML; GitLab sets "3.1" (quote it: "3.10")`,
		`.gitlab-ci.yml:7:7: ON: True is a boolean in YAML; GitLab sets "true" (quote it: "True")`,
		`.gitlab-ci.yml:10:11: NODE: 010 is a number in YAML; GitLab sets "8" (quote it: "010")`,
		`.gitlab-ci.yml:19:12: R: 12:30 is a number in YAML; GitLab sets "45000" (quote it: "12:30")`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

// TestDecodeVariablesFromNumberInputs: a number input is what Psych
// loaded (3.10 is 3.1), whole or spliced into a string (Ruby's to_s).
func TestDecodeVariablesFromNumberInputs(t *testing.T) {
	src := `spec:
  inputs:
    py:
      type: number
      default: 3.10
---
job:
  variables:
    WHOLE: $[[ inputs.py ]]
    EMBEDDED: "python$[[ inputs.py ]]"
  script: x
`
	_, p, err := resolveAndDecode(t, src)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"WHOLE": "3.1", "EMBEDDED": "python3.1"}
	if diff := cmp.Diff(want, varMap(p.Jobs[0].Variables)); diff != "" {
		t.Errorf("variables (-want +got):\n%s", diff)
	}
}
