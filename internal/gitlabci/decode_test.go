package gitlabci

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The -update flag may already be defined by another test file of the
// package; define it only when it is not.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

func updateGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func decodeFile(t *testing.T, path string) ([]byte, error) {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := ParseDocument(filepath.Base(path), src)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Decode(doc)
	if err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n'), nil
}

func TestDecodeGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "decode", "*.gitlab-ci.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".gitlab-ci.yml")
		t.Run(name, func(t *testing.T) {
			got, err := decodeFile(t, f)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			golden := strings.TrimSuffix(f, ".gitlab-ci.yml") + ".golden.json"
			if updateGolden() {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("model differs from %s (-want +got):\n%s", golden, diff)
			}
			// Whatever Decode accepts, the schema accepts too.
			src, _ := os.ReadFile(f) // read above
			doc, _ := ParseDocument(filepath.Base(f), src)
			if errs := CheckSchema(doc); len(errs) > 0 && name != "defaults" {
				t.Errorf("CheckSchema rejects a file Decode accepts: %v", errs)
			}
		})
	}
}

func TestDecodeDefaults(t *testing.T) {
	src := `
default:
  image: python:3.12
  tags: [docker]
  retry: 2
image-only:
  inherit: {default: [image]}
  script: x
own:
  image: node
  script: x
none:
  inherit: {default: false}
  script: x
`
	doc, err := ParseDocument("x.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Decode(doc)
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		Image string
		Tags  []string
		Retry int
	}
	summary := func(name string) got {
		j := p.Job(name)
		g := got{Tags: j.Tags, Retry: j.Retry.Max}
		if j.Image != nil {
			g.Image = j.Image.Name
		}
		return g
	}
	want := map[string]got{
		"image-only": {Image: "python:3.12"},
		"own":        {Image: "node", Tags: []string{"docker"}, Retry: 2},
		"none":       {},
	}
	for name, w := range want {
		if diff := cmp.Diff(w, summary(name)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
}

// TestDecodeErrors checks that each problem is reported at the exact
// position of the offending key or value, with a useful message and hint.
func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		// want is "line:col: substring of the message"; hint a substring of
		// the hint ("" = not checked).
		want, hint string
	}{
		{"unknown job key", "job:\n  scirpt: make\n  script: make\n", "2:3: job \"job\": unknown keyword \"scirpt\"", "did you mean script?"},
		{"unknown nested key", "job:\n  script: x\n  artifacts:\n    pahts: [a]\n", "4:5: job \"job\": artifacts: unknown keyword \"pahts\"", "did you mean paths?"},
		{"unknown default key", "default:\n  imgae: x\njob:\n  script: x\n", "2:3: default: unknown keyword \"imgae\"", "did you mean image?"},
		{"script is a number", "job:\n  script: 5\n", "2:11: job \"job\": script must be a string or a list of strings, got the integer \"5\"", ""},
		{"script item is a number", "job:\n  script:\n    - echo\n    - 5\n", "4:7: job \"job\": script[1] must be a string", "quote it"},
		{"empty script", "job:\n  script: []\n", "2:11: job \"job\": script must not be empty", ""},
		{"when sometimes", "job:\n  script: x\n  when: sometimes\n", "3:9: job \"job\": when: unknown value \"sometimes\"", "use one of"},
		{"when typo", "job:\n  script: x\n  when: manul\n", "3:9: job \"job\": when: unknown value \"manul\"", "did you mean manual?"},
		{"when never outside rules", "job:\n  script: x\n  when: never\n", "3:9: job \"job\": when: never is only for rules: and workflow:rules:", "rules: [{when: never}]"},
		{"parallel 0", "job:\n  script: x\n  parallel: 0\n", "3:13: parallel must be between 1 and 200, got 0", ""},
		{"parallel 201", "job:\n  script: x\n  parallel: 201\n", "3:13: parallel must be between 1 and 200, got 201", ""},
		{"parallel string", "job:\n  script: x\n  parallel: \"5\"\n", "3:13: job \"job\": parallel must be an integer from 1 to 200", ""},
		{"matrix float", "job:\n  script: x\n  parallel:\n    matrix:\n      - PY: [3.9, 3.10]\n", "5:14: job \"job\": parallel:matrix[0]:PY[0]: 3.9 is a float in YAML; parallel:matrix values must be strings or integers", "quote it"},
		{"matrix null", "job:\n  script: x\n  parallel:\n    matrix:\n      - A: [~]\n", "parallel:matrix[0]:A[0] must be a string or a number, got nothing", ""},
		{"matrix boolean", "job:\n  script: x\n  parallel:\n    matrix:\n      - DEBUG: true\n", "is a boolean in YAML; parallel:matrix values must be strings or integers", ""},
		{"matrix too big", "job:\n  script: x\n  parallel:\n    matrix:\n      - A: [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]\n        B: [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]\n", "5:7: job \"job\": parallel:matrix makes 225 jobs; the limit is 200", ""},
		{"rules if syntax", "job:\n  script: x\n  rules:\n    - if: $A == \"x\" &&\n", "4:23: job \"job\": rules[0]:if: invalid expression", ""},
		{"only variables syntax", "job:\n  script: x\n  only:\n    variables:\n      - $A === \"x\"\n", "5:14: job \"job\": only:variables[0]: invalid expression", ""},
		{"retry 3", "job:\n  script: x\n  retry: 3\n", "3:10: job \"job\": retry must be 0, 1 or 2, got 3", ""},
		{"retry reason", "job:\n  script: x\n  retry:\n    when: script_failur\n", "4:11: job \"job\": retry:when: unknown value \"script_failur\"", "did you mean script_failure?"},
		{"timeout soon", "job:\n  script: x\n  timeout: soon\n", "3:12: job \"job\": timeout: \"soon\" is not a duration", "1h 30m"},
		{"timeout too long", "job:\n  script: x\n  timeout: 2 months\n", "3:12: job \"job\": timeout: \"2 months\" is longer than the limit of 30 days", ""},
		{"missing script", "build:\n  stage: test\n", "1:1: job \"build\" has no script:", "add script:"},
		{"missing script near global", "varaibles:\n  A: b\n", "1:1: job \"varaibles\" has no script:", "did you mean the global keyword variables?"},
		{"stage not declared", "stages: [build, test]\njob:\n  stage: deploy\n  script: x\n", "3:10: job \"job\": stage \"deploy\" is not declared", "add it to stages:"},
		{"stage typo", "stages: [build, test]\njob:\n  stage: tset\n  script: x\n", "3:10: job \"job\": stage \"tset\" is not declared", "did you mean test?"},
		{"default stage missing", "stages: [build]\njob:\n  script: x\n", "2:1: job \"job\": stage \"test\" is not declared", ""},
		{"needs missing", "a:\n  script: x\n  needs: [bulid]\nbuild:\n  script: x\n", "3:11: job \"a\" needs \"bulid\", which is not a job of this pipeline", "did you mean build?"},
		{"needs object missing", "a:\n  script: x\n  needs:\n    - job: nope\n", "4:7: job \"a\" needs \"nope\"", "optional: true"},
		{"needs later stage", "a:\n  stage: build\n  script: x\n  needs: [b]\nb:\n  stage: deploy\n  script: x\n", "4:11: job \"a\" (stage build) needs \"b\", which is in the later stage deploy", ""},
		{"needs cycle", "a:\n  script: x\n  needs: [b]\nb:\n  script: x\n  needs: [c]\nc:\n  script: x\n  needs: [a]\n", "9:11: needs cycle: \"a\" -> \"b\" -> \"c\" -> \"a\"", ""},
		{"needs self", "a:\n  script: x\n  needs: [a]\n", "3:11: needs cycle: \"a\" -> \"a\"", ""},
		{"dependency later stage", "a:\n  stage: build\n  script: x\n  dependencies: [b]\nb:\n  stage: deploy\n  script: x\n", "4:18: job \"a\" (stage build) depends on \"b\", which is in stage deploy", ""},
		{"dependency not in needs", "a:\n  stage: build\n  script: x\nc:\n  stage: build\n  script: x\nb:\n  script: x\n  needs: [c]\n  dependencies: [a]\n", "10:18: job \"b\" depends on \"a\", which is not in its needs:", ""},
		{"delayed without start_in", "job:\n  script: x\n  when: delayed\n", "3:9: job \"job\": when: delayed needs start_in:", "add start_in:"},
		{"start_in without delayed", "job:\n  script: x\n  start_in: 5 minutes\n", "3:3: job \"job\": start_in: is only for when: delayed", ""},
		{"non-map job", "job: echo hello\n", "1:1: job \"job\" must be a map, got the string \"echo hello\"", "a job is a map"},
		{"top-level script", "script: echo hello\n", "1:1: job \"script\" must be a map", "script: is a job keyword"},
		{"null job", "job:\n", "1:1: job \"job\" must be a map, got nothing", ""},
		{"variables list", "variables: [A]\njob:\n  script: x\n", "1:12: variables must be a map of variable names to values, got a list", ""},
		{"variable value map", "variables:\n  A:\n    value: [x]\njob:\n  script: x\n", "3:12: variables:A:value must be a string, got a list", ""},
		{"job variable description", "job:\n  script: x\n  variables:\n    A:\n      value: x\n      description: d\n", "6:7: job \"job\": variables:A: unknown keyword \"description\"", ""},
		{"cache key slash", "job:\n  script: x\n  cache:\n    key: a/b\n", "4:10: job \"job\": cache:key: cache keys can't contain /", ""},
		{"cache policy", "job:\n  script: x\n  cache:\n    policy: pul\n", "4:13: job \"job\": cache:policy: unknown policy \"pul\"", "did you mean pull?"},
		{"cache key files too many", "job:\n  script: x\n  cache:\n    key:\n      files: [a,b,c,d,e,f,g,h,i,j,k]\n", "5:14: job \"job\": cache:key:files: at most 10 files", ""},
		{"coverage not regex", "job:\n  script: x\n  coverage: 'TOTAL'\n", "3:13: coverage must be a regular expression between slashes", ""},
		{"coverage bad regex", "job:\n  script: x\n  coverage: '/(/'\n", "3:13: coverage: invalid regular expression", ""},
		{"environment tier", "job:\n  script: x\n  environment:\n    name: prod\n    deployment_tier: prod\n", "5:22: job \"job\": environment:deployment_tier: unknown value \"prod\"", "did you mean production?"},
		{"environment on_stop missing", "job:\n  script: x\n  environment:\n    name: prod\n    on_stop: stop\n", "4:5: job \"job\": environment:on_stop job \"stop\" does not exist", ""},
		{"image null", "job:\n  script: x\n  image:\n", "3:3: job \"job\": image must be an image name or a map with name:, got nothing", ""},
		{"services no name", "job:\n  script: x\n  services:\n    - alias: db\n", "4:7: job \"job\": services[0]: name is required", ""},
		{"allow_failure string", "job:\n  script: x\n  allow_failure: yes please\n", "3:18: job \"job\": allow_failure must be true or false", ""},
		{"artifacts expire", "job:\n  script: x\n  artifacts:\n    expire_in: forever\n", "4:16: job \"job\": artifacts:expire_in: \"forever\" is not a duration", ""},
		{"only bad regex", "job:\n  script: x\n  only: ['/a(/']\n", "3:10: job \"job\": only: invalid regular expression", ""},
		{"rules with only", "job:\n  script: x\n  rules: [{when: always}]\n  only: [main]\n", "3:3: job \"job\": rules: can't be used with only: or except:", ""},
		{"rule when", "job:\n  script: x\n  rules:\n    - if: $A\n      when: sometimes\n", "5:13: job \"job\": rules[0]:when: unknown value \"sometimes\"", ""},
		{"rule unknown key", "job:\n  script: x\n  rules:\n    - iff: $A\n", "4:7: job \"job\": rules[0]: unknown keyword \"iff\"", "did you mean if?"},
		{"workflow rule when", "workflow:\n  rules:\n    - when: manual\njob:\n  script: x\n", "3:13: workflow:rules[0]:when: unknown value \"manual\"", ""},
		{"stages not list", "stages: build\njob:\n  script: x\n", "1:9: stages must be a list of stage names", ""},
		{"stage duplicate", "stages: [a, a]\njob:\n  stage: a\n  script: x\n", "1:9: stages: \"a\" is listed twice", ""},
		{"global and default", "image: a\ndefault:\n  image: b\njob:\n  script: x\n", "1:1: image is defined both at the top level and in default:", ""},
		{"no jobs", "stages: [a]\n", "1:1: pipeline has no visible jobs", ""},
		{"empty file", "", "1:1: pipeline file is empty", ""},
		{"not a map", "- a\n- b\n", "1:1: pipeline file must be a map, got a list", ""},
		{"trigger and script", "job:\n  script: x\n  trigger: a/b\n", "3:3: job \"job\" has both script: and trigger:", ""},
		{"unresolved reference", "job:\n  script: !reference [.a, script]\n", "2:11: job \"job\": script: unresolved !reference", "resolve the document"},
		{"inherit default value", "job:\n  script: x\n  inherit:\n    default: [imag]\n", "4:15: job \"job\": inherit:default[0]: unknown value \"imag\"", "did you mean image?"},
		{"needs matrix on plain job", "a:\n  script: x\nb:\n  script: x\n  needs:\n    - job: a\n      parallel:\n        matrix:\n          - X: y\n", "6:7: job \"b\" needs a matrix instance of \"a\"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := ParseDocument("ci.yml", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Decode(doc)
			if err == nil {
				t.Fatal("Decode accepted the file")
			}
			var all []string
			for _, e := range Errors(err) {
				msg := strings.TrimPrefix(e.Pos.String(), "ci.yml:") + ": " + e.Msg
				all = append(all, e.Error())
				if strings.Contains(msg, tt.want) && strings.Contains(e.Hint, tt.hint) && e.Pos.File == "ci.yml" {
					return
				}
			}
			t.Errorf("no error like %q (hint %q); got:\n%s", tt.want, tt.hint, strings.Join(all, "\n"))
		})
	}
}

// GitLab checks dependencies: against needs: only when needs: lists jobs;
// needs: [] with dependencies: is valid (the job restores nothing).
func TestDecodeEmptyNeedsWithDependencies(t *testing.T) {
	src := "a:\n  stage: build\n  script: x\nb:\n  stage: deploy\n  script: x\n  needs: []\n  dependencies: [a]\n"
	doc, err := ParseDocument("ci.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(doc); err != nil {
		t.Errorf("Decode: %v", err)
	}
}

func TestDecodeCollectsAllErrors(t *testing.T) {
	src := "a:\n  script: 5\nb:\n  when: sometimes\n  script: x\nc:\n  scirpt: x\nd:\n  stage: test\n"
	doc, err := ParseDocument("ci.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Decode(doc)
	var got []string
	for _, e := range Errors(err) {
		got = append(got, e.Pos.String())
	}
	// c's typo is reported once, not also as a missing script.
	want := []string{"ci.yml:2:11", "ci.yml:4:9", "ci.yml:7:3", "ci.yml:8:1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("error positions (-want +got):\n%s\n%v", diff, err)
	}
}

func FuzzDecode(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "decode", "*.yml"))
	more, _ := filepath.Glob(filepath.Join("testdata", "schema", "*", "*.yml"))
	for _, s := range append(seeds, more...) {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("job:\n  script: [a, [b, [c]]]\n  needs: [job]\n"))
	f.Add([]byte("a: {needs: [b], script: x}\nb: {needs: [a], script: x}\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		doc, err := ParseDocument("fuzz.yml", src)
		if err != nil {
			return
		}
		p, err := Decode(doc)
		if err == nil && p == nil {
			t.Fatal("nil pipeline without error")
		}
		for _, e := range Errors(err) {
			if e.Pos.File != "fuzz.yml" && !bytes.Contains(src, []byte("!reference")) {
				t.Fatalf("error without position: %v", e)
			}
		}
		CheckSchema(doc)
	})
}

// parallel:matrix values are GitLab's strings of what Psych loaded: an
// integer written 010 is 8, a quoted "010" stays as written.
func TestDecodeMatrixValues(t *testing.T) {
	doc, err := ParseDocument("ci.yml", []byte("job:\n  script: x\n  parallel:\n    matrix:\n      - V: [010, \"010\", 0x1F, 1_000, abc]\n        W: 7\n"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Decode(doc)
	if err != nil {
		t.Fatal(err)
	}
	m := p.Jobs[0].Parallel.Matrix[0]
	if diff := cmp.Diff([]string{"8", "010", "31", "1000", "abc"}, m[0].Values); diff != "" {
		t.Errorf("V (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"7"}, m[1].Values); diff != "" {
		t.Errorf("W (-want +got):\n%s", diff)
	}
}
