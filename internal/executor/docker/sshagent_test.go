package docker

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/scheduler"
	"github.com/gantry-ci/gantry/internal/testenv"
)

// startSSHAgent runs a real ssh-agent on a socket of the test's own,
// holding one key made for the test whose comment is comment, and returns
// the socket's path. The agent stops when the test ends.
func startSSHAgent(t *testing.T, comment string) string {
	t.Helper()
	dir := t.TempDir()
	sock := filepath.Join(dir, "agent.sock")
	agent := exec.Command("ssh-agent", "-D", "-a", sock)
	var agentOut bytes.Buffer
	agent.Stdout, agent.Stderr = &agentOut, &agentOut
	if err := agent.Start(); err != nil {
		t.Fatalf("ssh-agent: %v", err)
	}
	t.Cleanup(func() {
		_ = agent.Process.Kill() // ours, started above; Wait reaps it
		_ = agent.Wait()
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if fi, err := os.Stat(sock); err == nil && fi.Mode().Type() == os.ModeSocket {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ssh-agent made no socket at %s:\n%s", sock, agentOut.String())
		}
	}
	key := filepath.Join(dir, "id_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	add := exec.Command("ssh-add", key)
	add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v\n%s", err, out)
	}
	return sock
}

// agentQuery asks the agent at $SSH_AUTH_SOCK for its keys with the agent
// protocol's REQUEST_IDENTITIES (the test images have no ssh-add) and
// prints their comments.
const agentQuery = `python3 -c '
import os, socket, struct
s = socket.socket(socket.AF_UNIX)
s.connect(os.environ["SSH_AUTH_SOCK"])
s.sendall(struct.pack(">IB", 1, 11))
def read(n):
    b = b""
    while len(b) < n:
        b += s.recv(n - len(b))
    return b
msg = read(struct.unpack(">I", read(4))[0])
assert msg[0] == 12, msg[0]
n, at = struct.unpack(">I", msg[1:5])[0], 5
for _ in range(n):
    for field in ("blob", "comment"):
        size = struct.unpack(">I", msg[at:at+4])[0]
        value, at = msg[at+4:at+4+size], at + 4 + size
    print("agent key:", value.decode())
'`

// TestInjectSSHAgent runs jobs through the frontend, planner and
// scheduler: a job with # @InjectSSHAgent finds the agent's socket at
// SSH_AUTH_SOCK in its container and can use the agent's keys; a job
// without it gets no agent; without an agent the job says so once and
// still runs.
func TestInjectSSHAgent(t *testing.T) {
	busybox, debian := testenv.Image(t, "busybox"), testenv.Image(t, "debian")
	const comment = "gantry-agent-test-key"
	sock := startSSHAgent(t, comment)
	notSocket := filepath.Join(t.TempDir(), "plain-file")
	if err := os.WriteFile(notSocket, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "gone", "agent.sock")
	const noAgent = "@InjectSSHAgent: SSH_AUTH_SOCK is not set where gantry runs: the job gets no SSH agent (start one with eval $(ssh-agent) and ssh-add, then run gantry from that shell)"
	tests := []struct {
		name     string
		agent    string // Config.SSHAuthSock
		pipeline string
		log      []string
		notLog   []string
	}{
		{
			name:  "socket in busybox",
			agent: sock,
			pipeline: fmt.Sprintf(`# @InjectSSHAgent
with-agent:
  image: %s
  script:
    - test -S "$SSH_AUTH_SOCK"
    - echo "agent socket at $SSH_AUTH_SOCK"
  after_script:
    - test -S "$SSH_AUTH_SOCK" && echo "after_script has it too"
`, busybox),
			log:    []string{"agent socket at " + sock + "\n", "after_script has it too\n"},
			notLog: []string{"@InjectSSHAgent:"},
		},
		{
			name:  "the agent's keys",
			agent: sock,
			pipeline: fmt.Sprintf(`# @InjectSSHAgent
keys:
  image: %s
  script:
    - |
      %s
`, debian, strings.ReplaceAll(agentQuery, "\n", "\n      ")),
			log: []string{"agent key: " + comment + "\n"},
		},
		{
			name:  "not asked",
			agent: sock,
			pipeline: fmt.Sprintf(`no-agent:
  image: %s
  script:
    - test -z "$SSH_AUTH_SOCK"
    - test ! -e %s
    - echo no agent here
`, busybox, sock),
			log: []string{"no agent here\n"},
		},
		{
			name: "asked, none running",
			pipeline: fmt.Sprintf(`# @InjectSSHAgent
want-agent:
  image: %s
  script:
    - test -z "$SSH_AUTH_SOCK"
    - echo ran without an agent
`, busybox),
			log: []string{noAgent + "\n", "ran without an agent\n"},
		},
		{
			name:  "not a socket",
			agent: notSocket,
			pipeline: fmt.Sprintf(`# @InjectSSHAgent
want-agent:
  image: %s
  script:
    - test -z "$SSH_AUTH_SOCK"
    - echo ran without an agent
`, busybox),
			log: []string{"@InjectSSHAgent: SSH_AUTH_SOCK=" + notSocket + " is not a socket: the job gets no SSH agent", "ran without an agent\n"},
		},
		{
			name:  "socket gone",
			agent: missing,
			pipeline: fmt.Sprintf(`# @InjectSSHAgent
want-agent:
  image: %s
  script:
    - echo ran without an agent
`, busybox),
			log: []string{"@InjectSSHAgent: SSH_AUTH_SOCK=" + missing + " is not a socket", "ran without an agent\n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBackend(t, Config{SSHAuthSock: tt.agent})
			job, _ := newJob(t, b, "") // for its leftover check
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, ".gitlab-ci.yml"), []byte(tt.pipeline), 0o644); err != nil {
				t.Fatal(err)
			}
			res, logs := runPipelineIn(t, b, dir, job.Pipeline, nil)
			j := res.Jobs[0]
			log := logs[j.Name]
			if j.Status != scheduler.StatusSuccess {
				t.Fatalf("status %s (%s); log:\n%s", j.Status, j.Reason, log)
			}
			mustContain(t, "log", log, tt.log...)
			for _, n := range tt.notLog {
				if strings.Contains(log, n) {
					t.Errorf("log contains %q:\n%s", n, log)
				}
			}
			if strings.Count(log, "@InjectSSHAgent:") > 1 {
				t.Errorf("more than one notice about the agent:\n%s", log)
			}
			// A mount of a missing socket must not leave a directory in
			// its place on the host.
			if _, err := os.Stat(missing); err == nil {
				t.Errorf("%s exists after the job", missing)
			}
		})
	}
}
