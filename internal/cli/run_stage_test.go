package cli

import (
	"strings"
	"testing"
)

// --stage runs (or lists) every job of a stage, as gitlab-ci-local's
// --stage does; with --needs the jobs they need come too.
func TestStageSelection(t *testing.T) {
	dir := writeFiles(t, map[string]string{".gitlab-ci.yml": `stages: [a, b]
j1:
  stage: a
  script: echo one
j2:
  stage: b
  script: echo two
j3:
  stage: b
  needs: [j1]
  script: echo three
`})
	gitRepo(t, dir, "main")
	tests := []struct {
		name     string
		args     []string
		ran, not []string
	}{
		{"stage", []string{"--stage", "b"}, []string{"two", "three"}, []string{"one"}},
		{"stage with needs", []string{"--stage", "b", "--needs"}, []string{"one", "two", "three"}, nil},
		{"stage and job", []string{"--stage", "a", "--job", "j2"}, []string{"one", "two"}, []string{"three"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, append([]string{"run", "-C", dir}, tt.args...)...)
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			for _, w := range tt.ran {
				if !strings.Contains(out, "> "+w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(out, "> "+w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
		})
	}
	code, _, errOut := run(t, "run", "-C", dir, "--stage", "deploy")
	if code != ExitInvalid || !strings.Contains(errOut, `stage "deploy" is not in this pipeline`) {
		t.Errorf("unknown stage: exit %d, %s", code, errOut)
	}
}
