package testenv

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// recorder is a testing.TB that records how the test would have ended.
type recorder struct {
	testing.TB
	ended string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.ended = "fail: " + fmt.Sprintf(format, args...)
}
func (r *recorder) Skipf(format string, args ...any) {
	r.ended = "skip: " + fmt.Sprintf(format, args...)
}

func TestRequire(t *testing.T) {
	tests := []struct {
		name      string
		require   string
		component string
		want      string // first word of the outcome, "" when the test goes on
	}{
		{"present", "", "go", ""},
		{"present and required", "go", "go", ""},
		{"missing", "", "gantry-no-such-tool", "skip"},
		{"missing, others required", "git,docker", "gantry-no-such-tool", "skip"},
		{"missing and required", "git,gantry-no-such-tool", "gantry-no-such-tool", "fail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(RequireEnv, tt.require)
			r := &recorder{TB: t}
			Require(r, tt.component)
			got := r.ended
			if i := len(tt.want); i > 0 && len(got) > i {
				got = got[:i]
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("outcome (-want +got):\n%s\nfull: %s", diff, r.ended)
			}
		})
	}
}

func TestPingDockerBadHost(t *testing.T) {
	tests := []struct{ name, host string }{
		{"no socket", "unix:///nonexistent/docker.sock"},
		{"unsupported scheme", "ssh://example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("DOCKER_HOST", tt.host)
			if err := pingDocker(); err == nil {
				t.Fatal("pingDocker succeeded")
			}
		})
	}
}

func TestModuleRoot(t *testing.T) {
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if root == "" {
		t.Fatal("empty root")
	}
}
