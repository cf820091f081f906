package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func billionLaughs() string {
	var b strings.Builder
	b.WriteString("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	prev := "a"
	for _, n := range strings.Split("bcdefghij", "") {
		b.WriteString(n + ": &" + n + " [" + strings.TrimSuffix(strings.Repeat("*"+prev+", ", 10), ", ") + "]\n")
		prev = n
	}
	b.WriteString("job:\n  script: *j\n")
	return b.String()
}

// TestLintBadInput feeds gantry lint the broken files users write (and
// hostile ones): each gets exit 2 and a clear error with its position,
// quickly, without a panic.
func TestLintBadInput(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // substrings of the output
	}{
		{"malformed yaml", "job:\n  script: [echo\n", []string{".gitlab-ci.yml:", "invalid YAML"}},
		{"unknown key", "job:\n  scirpt: [echo]\n", []string{".gitlab-ci.yml:2:3", "scirpt", "script"}},
		{"wrong type", "job:\n  script: [echo]\n  when: sometimes\n", []string{".gitlab-ci.yml:3:9", "when"}},
		{"extends cycle", "a:\n  extends: b\n  script: [x]\nb:\n  extends: a\n  script: [x]\n", []string{".gitlab-ci.yml:", "extends"}},
		{"needs cycle", "a:\n  needs: [b]\n  script: [x]\nb:\n  needs: [a]\n  script: [x]\n", []string{".gitlab-ci.yml:", "cycle"}},
		{"missing needs target", "a:\n  needs: [nope]\n  script: [x]\n", []string{".gitlab-ci.yml:2:", "nope"}},
		{"include cycle", "include: other.yml\njob:\n  script: [x]\n", []string{"other.yml", "include"}},
		{"alias bomb", billionLaughs(), []string{".gitlab-ci.yml:", "more than"}},
		{"huge file", "job:\n  script: [echo]\n#" + strings.Repeat("x", 50<<20), []string{"2.0 MiB"}},
		{"binary garbage", "\x7fELF\x02\x01\x01\x00\x00\x00\xff\xfe", []string{".gitlab-ci.yml:", "not text"}},
		{"not a map", "- a\n- b\n", []string{".gitlab-ci.yml:1:1"}},
		{"include project", "include:\n  project: g/p\n  file: x.yml\n", []string{".gitlab-ci.yml:2:", "GitLab instance"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{
				".gitlab-ci.yml": tt.src,
				"other.yml":      "include: .gitlab-ci.yml\n",
			})
			start := time.Now()
			code, out, errOut := run(t, "lint", "-C", dir)
			if d := time.Since(start); d > 5*time.Second { // a hang guard, generous for a loaded CI machine
				t.Errorf("took %v", d)
			}
			if code != ExitInvalid {
				t.Errorf("exit %d, want %d; output:\n%s%s", code, ExitInvalid, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out+errOut, w) {
					t.Errorf("output does not mention %q:\n%s%s", w, out, errOut)
				}
			}
		})
	}
}

func TestLintJSON(t *testing.T) {
	dir := writeFiles(t, map[string]string{".gitlab-ci.yml": "job:\n  scirpt: [echo]\n"})
	code, out, _ := run(t, "lint", "--json", "-C", dir)
	if code != ExitInvalid {
		t.Fatalf("exit %d", code)
	}
	var res struct {
		Valid  bool          `json:"valid"`
		Errors []lintProblem `json:"errors"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	found := false
	for _, e := range res.Errors {
		found = found || (e.File == ".gitlab-ci.yml" && e.Line == 2 && e.Col == 3 && strings.Contains(e.Hint, "script"))
	}
	if res.Valid || !found {
		t.Errorf("want an error at .gitlab-ci.yml:2:3 suggesting script, got %+v", res)
	}

	dir = writeFiles(t, map[string]string{".gitlab-ci.yml": "job:\n  script: [echo]\n"})
	if code, out, _ := run(t, "lint", "--json", "-C", dir); code != 0 || !strings.Contains(out, `"valid": true`) {
		t.Errorf("valid file: exit %d, %s", code, out)
	}
}

func TestQuickstartIsValid(t *testing.T) {
	if code, out, errOut := run(t, "lint", "-C", "../../examples/quickstart"); code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
}
