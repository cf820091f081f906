package cli

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gantry-ci/gantry/internal/testenv"
)

// TestRunDockerInjectSSHAgent: gantry run --executor docker gives a job
// marked # @InjectSSHAgent the socket SSH_AUTH_SOCK names in gantry's
// environment, and a job without the decorator nothing. (The docker
// package's TestInjectSSHAgent talks to a real agent through it.)
func TestRunDockerInjectSSHAgent(t *testing.T) {
	testenv.Require(t, "docker")
	busybox := testenv.Image(t, "busybox")
	sock := filepath.Join(t.TempDir(), "agent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	dir := writeFiles(t, map[string]string{".gitlab-ci.yml": fmt.Sprintf(`default:
  image: %s

# @InjectSSHAgent
with-agent:
  script:
    - test -S "$SSH_AUTH_SOCK" && echo "agent at $SSH_AUTH_SOCK"

without-agent:
  script:
    - test -z "$SSH_AUTH_SOCK" && echo "no agent"
`, busybox)})
	commitAll(t, dir, "main", "init")
	for _, tt := range []struct {
		name string
		sock string
		want []string
	}{
		{name: "agent", sock: sock, want: []string{"agent at " + sock + "\n", "no agent\n"}},
		{name: "no agent", want: []string{"@InjectSSHAgent: SSH_AUTH_SOCK is not set where gantry runs", "no agent\n"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("SSH_AUTH_SOCK", tt.sock)
			before := gantryObjects(t)
			code, out, errOut, _ := gantryRun(t, dir, "--executor", "docker")
			want := ExitOK
			if tt.sock == "" {
				want = ExitFailed // with-agent's test -S fails
			}
			if code != want {
				t.Fatalf("exit code %d, want %d\n%s\n%s", code, want, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			assertNoLeftovers(t, before)
		})
	}
}
