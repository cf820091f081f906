package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// interactivePipeline has an @Interactive job that reads a line from the
// terminal, and a job beside it in the same stage that prints a line every
// few milliseconds: were they to run together, its lines would land
// between the interactive job's markers.
const interactivePipeline = `stages: [build, test]

# @Interactive
# @Description Asks for a name
ask:
  stage: build
  when: manual
  script:
    - echo BEGIN-INTERACTIVE
    - read -r name
    - echo "hello $name"
    - sleep 0.3
  after_script:
    - echo END-INTERACTIVE

chatty:
  stage: build
  script:
    - for i in 1 2 3 4 5 6 7 8 9 10; do echo "chatty line $i"; sleep 0.05; done

later:
  stage: test
  script:
    - echo later ran
`

// runBinary runs the gantry binary in dir with stdin and returns its exit
// code and stdout.
func runBinary(t *testing.T, dir, stdin string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(gantryBinary(t), append([]string{"run", "-C", dir}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if code != 0 {
		t.Logf("stderr: %s", errOut.String())
	}
	return code, out.String()
}

// jobLog reads the log file of job in the project's only pipeline n.
func jobLog(t *testing.T, dir, n, job string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, ".gantry", "logs", n, job+".log"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRunInteractive(t *testing.T) {
	dir := writeFiles(t, map[string]string{".gitlab-ci.yml": interactivePipeline})
	gitRepo(t, dir, "main")

	t.Run("terminal view", func(t *testing.T) {
		code, out := runBinary(t, dir, "gantry\n", "--manual", "ask")
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, out)
		}
		lines := strings.Split(out, "\n")
		begin, end := indexOf(lines, "BEGIN-INTERACTIVE"), indexOf(lines, "END-INTERACTIVE")
		if begin < 0 || end < begin || indexOf(lines, "hello gantry") < begin {
			t.Fatalf("the interactive job's lines are not on stdout, unprefixed, in order:\n%s", out)
		}
		for _, l := range lines[begin:end] {
			if strings.Contains(l, "chatty") || strings.Contains(l, "later") {
				t.Errorf("another job's line %q among the interactive job's:\n%s", l, out)
			}
		}
		if !strings.Contains(out, "chatty line 10") || !strings.Contains(out, "later ran") {
			t.Errorf("the other jobs did not run:\n%s", out)
		}
		log := jobLog(t, dir, "1", "ask")
		if strings.Contains(log, "hello") || strings.Contains(log, "INTERACTIVE") {
			t.Errorf("the job's output is in its log file:\n%s", log)
		}
		if !strings.Contains(log, "went to the terminal") {
			t.Errorf("the log file does not say where the output went:\n%s", log)
		}
	})

	t.Run("json events", func(t *testing.T) {
		code, out := runBinary(t, dir, "json\n", "--json", "--job", "ask")
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, out)
		}
		var raw []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			if !strings.HasPrefix(l, "{") {
				raw = append(raw, l)
				continue
			}
			var ev struct {
				Kind, Job, Text string
			}
			if err := json.Unmarshal([]byte(l), &ev); err != nil {
				t.Fatalf("bad event %q: %v", l, err)
			}
			if ev.Kind == "job.log" || strings.Contains(ev.Text, "hello") {
				t.Errorf("the interactive job's output is in an event: %s", l)
			}
		}
		want := []string{"$ echo BEGIN-INTERACTIVE", "BEGIN-INTERACTIVE", "$ read -r name", `$ echo "hello $name"`,
			"hello json", "$ sleep 0.3", "$ echo END-INTERACTIVE", "END-INTERACTIVE"}
		if diff := cmp.Diff(want, raw); diff != "" {
			t.Errorf("stdout outside the events (-want +got):\n%s", diff)
		}
	})

	t.Run("exit code", func(t *testing.T) {
		d := writeFiles(t, map[string]string{".gitlab-ci.yml": "# @Interactive\nj:\n  when: manual\n  allow_failure: false\n  script: [exit 4]\n"})
		gitRepo(t, d, "main")
		if code, out := runBinary(t, d, "", "--job", "j"); code != ExitFailed {
			t.Errorf("exit %d, want %d\n%s", code, ExitFailed, out)
		}
	})
}

func indexOf(lines []string, s string) int {
	for i, l := range lines {
		if l == s {
			return i
		}
	}
	return -1
}

func TestRunInteractiveRefusesDocker(t *testing.T) {
	dir := writeFiles(t, map[string]string{".gitlab-ci.yml": "a:\n  script: [echo a]\n\n# @Interactive\nshell-job:\n  when: manual\n  tags: [local]\n  script: [echo hi]\n"})
	gitRepo(t, dir, "main")
	tests := []struct {
		name string
		args []string
		want string // "" for no refusal
	}{
		{"docker executor", []string{"--executor", "docker"}, ".gitlab-ci.yml:4:1: job shell-job: @Interactive needs the shell executor"},
		{"tag routed to docker", []string{"--tag-executor", "local=docker"}, ".gitlab-ci.yml:4:1: job shell-job: @Interactive needs the shell executor, but it would run on docker"},
		{"tag routed to shell", []string{"--executor", "docker", "--tag-executor", "local=shell", "--job", "shell-job"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, append([]string{"run", "-C", dir, "--json"}, tt.args...)...)
			if tt.want == "" {
				if code != 0 {
					t.Fatalf("exit %d: %s", code, errOut)
				}
				return
			}
			if code != ExitInvalid || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, ExitInvalid, tt.want)
			}
			if strings.Contains(out, "job.started") {
				t.Errorf("a job started before the refusal:\n%s", out)
			}
		})
	}
}

func TestListDescription(t *testing.T) {
	dir := writeFiles(t, map[string]string{".gitlab-ci.yml": interactivePipeline})
	gitRepo(t, dir, "main")
	code, out, errOut := run(t, "list", "-C", dir, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var listed struct {
		Jobs []map[string]any `json:"jobs"`
	}
	if err := json.Unmarshal([]byte(out), &listed); err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	for _, j := range listed.Jobs {
		got[j["name"].(string)] = j["description"]
	}
	if diff := cmp.Diff(map[string]any{"ask": "Asks for a name", "chatty": nil, "later": nil}, got); diff != "" {
		t.Errorf("descriptions (-want +got):\n%s", diff)
	}

	code, out, errOut = run(t, "list", "-C", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	header, rest, _ := strings.Cut(out, "\n")
	if !strings.HasSuffix(header, "DESCRIPTION") || !strings.Contains(rest, "Asks for a name") {
		t.Errorf("human list lacks the description:\n%s", out)
	}
}
