package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestVariableCycle runs gantry run and gantry lint on pipelines whose
// variables refer to each other in a circle. GitLab refuses to create such
// a pipeline ("job: circular variable reference detected: [...]"), so
// gantry run exits 2 before any job starts, pointing at the variable;
// gantry lint reports what it can know without a trigger.
func TestVariableCycle(t *testing.T) {
	const ran = "the job ran"
	tests := []struct {
		name     string
		cmd      string
		files    map[string]string
		wantCode int
		want     []string // in the output
	}{
		{
			name:     "run: global variables",
			cmd:      "run",
			files:    map[string]string{".gitlab-ci.yml": "variables:\n  A: $B\n  B: ${A}\nbuild:\n  script: echo " + ran + "\n"},
			wantCode: ExitInvalid,
			want: []string{`.gitlab-ci.yml:2:3: job "build": circular variable reference detected: ["A", "B"]`,
				"A at .gitlab-ci.yml:2:3, B at .gitlab-ci.yml:3:3 refer to each other"},
		},
		{
			name: "run: job variables",
			cmd:  "run",
			files: map[string]string{".gitlab-ci.yml": "build:\n  script: echo " + ran + "\n" +
				"test:\n  variables:\n    X: x\n    A: $B/$X\n    B: \"%A%\"\n  script: echo " + ran + "\n"},
			wantCode: ExitInvalid,
			want:     []string{`.gitlab-ci.yml:6:5: job "test": circular variable reference detected: ["A", "B"]`},
		},
		{
			name: "run: through a project variable",
			cmd:  "run",
			files: map[string]string{
				".gitlab-ci.yml":                 "build:\n  variables:\n    A: $B\n  script: echo " + ran + "\n",
				".gitlab-ci-local-variables.yml": "B: $A\n",
			},
			wantCode: ExitInvalid,
			want: []string{`.gitlab-ci.yml:3:5: job "build": circular variable reference detected: ["A", "B"]`,
				"B from the project or pipeline variables"},
		},
		{
			name: "run: a job the rules leave out",
			cmd:  "run",
			files: map[string]string{".gitlab-ci.yml": "build:\n  script: echo " + ran + "\n" +
				"never:\n  rules: [{if: '$NOPE'}]\n  variables: {A: $B, B: $A}\n  script: echo never\n"},
			wantCode: ExitOK,
			want:     []string{ran},
		},
		{
			name: "run: expand: false breaks the circle",
			cmd:  "run",
			files: map[string]string{".gitlab-ci.yml": "build:\n  variables:\n    A: <$B>\n    B: {value: $A, expand: false}\n" +
				"  script: echo \"" + ran + " A=$A\"\n"},
			wantCode: ExitOK,
			want:     []string{ran + " A=<$A>"},
		},
		{
			name: "run: a variable extending itself",
			cmd:  "run",
			files: map[string]string{".gitlab-ci.yml": "variables:\n  P: /bin\nbuild:\n  variables:\n    P: $P:/opt\n" +
				"  script: echo \"" + ran + " P=$P\"\n"},
			wantCode: ExitOK,
			want:     []string{ran + " P=/bin:/opt"},
		},
		{
			name:     "lint: global variables",
			cmd:      "lint",
			files:    map[string]string{".gitlab-ci.yml": "variables:\n  A: $B\n  B: ${A}\nbuild:\n  script: echo " + ran + "\n"},
			wantCode: ExitInvalid,
			want:     []string{`.gitlab-ci.yml:2:3: job "build": circular variable reference detected: ["A", "B"]`},
		},
		{
			name: "lint: a rules-only job is still checked",
			cmd:  "lint",
			files: map[string]string{".gitlab-ci.yml": "build:\n  script: echo\n" +
				"never:\n  rules: [{if: '$NOPE'}]\n  variables: {A: $B, B: $A}\n  script: echo never\n"},
			wantCode: ExitInvalid,
			want:     []string{`job "never": circular variable reference detected: ["A", "B"]`},
		},
		{
			name:     "lint: no circle",
			cmd:      "lint",
			files:    map[string]string{".gitlab-ci.yml": "variables:\n  A: $B\n  B: b\nbuild:\n  variables: {P: $P:/x}\n  script: echo\n"},
			wantCode: ExitOK,
			want:     []string{".gitlab-ci.yml is valid"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, tt.files)
			commitAll(t, dir, "main", "init")
			code, out, errOut := run(t, tt.cmd, "-C", dir)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out+errOut, w) {
					t.Errorf("output lacks %q\nstdout:\n%s\nstderr:\n%s", w, out, errOut)
				}
			}
			if tt.wantCode != ExitOK && strings.Contains(out+errOut, ran) {
				t.Errorf("a job ran:\n%s", out)
			}
		})
	}
}

// TestLintVariableCycleJSON checks that the problem keeps its position in
// gantry lint --json.
func TestLintVariableCycleJSON(t *testing.T) {
	dir := writeFiles(t, map[string]string{".gitlab-ci.yml": "build:\n  variables:\n    A: $B\n    B: $A\n  script: echo\n"})
	code, out, errOut := run(t, "lint", "--json", "-C", dir)
	if code != ExitInvalid {
		t.Fatalf("exit %d, want %d\n%s%s", code, ExitInvalid, out, errOut)
	}
	var got struct {
		Valid  bool
		Errors []lintProblem
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got.Valid || len(got.Errors) != 1 {
		t.Fatalf("got %+v", got)
	}
	e := got.Errors[0]
	if e.File != ".gitlab-ci.yml" || e.Line != 3 || e.Col != 5 || !strings.Contains(e.Message, "circular variable reference detected") || e.Hint == "" {
		t.Errorf("got %+v", e)
	}
}
