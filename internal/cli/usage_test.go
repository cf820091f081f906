package cli

import (
	"strings"
	"testing"
)

// A wrong command line says which command, what is wrong and how to write
// it, and exits 2 before anything runs.
func TestUsageErrors(t *testing.T) {
	dir := writeFiles(t, map[string]string{".gitlab-ci.yml": "job:\n  script: echo hi\n"})
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"deploy without environment", []string{"deploy"}, []string{"deploy:", "received 0", "usage: gantry deploy ENV"}},
		{"promote with one argument", []string{"image", "promote", "r/x:1"}, []string{"promote:", "usage: gantry image promote SRC DST-TAG"}},
		{"lint with an argument", []string{"lint", "extra"}, []string{"lint:", "usage: gantry lint"}},
		{"unknown flag", []string{"run", "-C", dir, "--frob"}, []string{"run: unknown flag: --frob", "gantry run --help"}},
		{"zero jobs at once", []string{"run", "-C", dir, "-j", "0"}, []string{"-j 0", "at least 1"}},
		{"negative jobs at once", []string{"run", "-C", dir, "-j", "-2"}, []string{"-j -2", "at least 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, tt.args...)
			if code != ExitInvalid {
				t.Errorf("exit %d, want %d", code, ExitInvalid)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q lacks %q", errOut, w)
				}
			}
		})
	}
}
