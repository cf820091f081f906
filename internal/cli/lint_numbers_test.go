package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// numbersPipeline sets variables the way people write versions: GitLab
// reads 3.10 as the Float 3.1 and sets "3.1".
const numbersPipeline = `variables:
  NAME: app
  PYTHON_VERSION: 3.10
  QUOTED: "3.10"
  RETRIES: 3
job:
  variables:
    NODE: 010
  script:
    - echo "python $PYTHON_VERSION quoted $QUOTED node $NODE retries $RETRIES"
`

// TestLintWarnsAboutNumbers: a variable whose value in GitLab is not its
// text is a warning at the value; the file stays valid (exit 0).
func TestLintWarnsAboutNumbers(t *testing.T) {
	dir := writeFiles(t, map[string]string{".gitlab-ci.yml": numbersPipeline})
	code, out, errOut := run(t, "lint", "-C", dir)
	if code != ExitOK {
		t.Fatalf("exit %d, want %d\n%s%s", code, ExitOK, out, errOut)
	}
	want := `.gitlab-ci.yml:3:19: warning: PYTHON_VERSION: 3.10 is a number in YAML; GitLab sets "3.1" (quote it: "3.10")
.gitlab-ci.yml:8:11: warning: NODE: 010 is a number in YAML; GitLab sets "8" (quote it: "010")
.gitlab-ci.yml is valid
`
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

func TestLintJSONWarnings(t *testing.T) {
	dir := writeFiles(t, map[string]string{".gitlab-ci.yml": numbersPipeline})
	code, out, _ := run(t, "lint", "--json", "-C", dir)
	if code != ExitOK {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	var res struct {
		Valid    bool          `json:"valid"`
		Errors   []lintProblem `json:"errors"`
		Warnings []lintProblem `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	want := []lintProblem{
		{File: ".gitlab-ci.yml", Line: 3, Col: 19, Message: `PYTHON_VERSION: 3.10 is a number in YAML; GitLab sets "3.1"`, Hint: `quote it: "3.10"`},
		{File: ".gitlab-ci.yml", Line: 8, Col: 11, Message: `NODE: 010 is a number in YAML; GitLab sets "8"`, Hint: `quote it: "010"`},
	}
	if !res.Valid || len(res.Errors) != 0 {
		t.Errorf("valid = %v, errors = %+v; want valid, none", res.Valid, res.Errors)
	}
	if diff := cmp.Diff(want, res.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}

	// A file without such values has an empty list, not null.
	dir = writeFiles(t, map[string]string{".gitlab-ci.yml": "job:\n  script: [echo]\n"})
	if _, out, _ := run(t, "lint", "--json", "-C", dir); !strings.Contains(out, `"warnings": []`) {
		t.Errorf("no warnings: want an empty list:\n%s", out)
	}
}

// TestLintDateVariable: GitLab refuses a file with a date in it (Psych
// makes a Date, a class its loader does not permit).
func TestLintDateVariable(t *testing.T) {
	dir := writeFiles(t, map[string]string{".gitlab-ci.yml": "variables:\n  RELEASED: 2024-01-01\njob:\n  script: [echo]\n"})
	code, out, errOut := run(t, "lint", "-C", dir)
	if code != ExitInvalid {
		t.Fatalf("exit %d, want %d\n%s%s", code, ExitInvalid, out, errOut)
	}
	if w := `.gitlab-ci.yml:2:13: RELEASED: 2024-01-01 is a date in YAML, which GitLab refuses to load`; !strings.Contains(out+errOut, w) {
		t.Errorf("output lacks %q:\n%s%s", w, out, errOut)
	}
}

// TestRunNumberVariables: the job sees the strings GitLab would set.
func TestRunNumberVariables(t *testing.T) {
	dir := writeFiles(t, map[string]string{".gitlab-ci.yml": numbersPipeline})
	commitAll(t, dir, "main", "init")
	code, out, errOut, _ := gantryRun(t, dir)
	if code != ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if w := "python 3.1 quoted 3.10 node 8 retries 3"; !strings.Contains(out, w) {
		t.Errorf("output lacks %q:\n%s", w, out)
	}
}
