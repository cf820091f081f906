package script

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gantry-ci/gantry/internal/executor"
)

// runBash feeds script to bash on stdin, as executors do, and returns the
// merged output and the exit code.
func runBash(t *testing.T, script string) (string, int) {
	t.Helper()
	cmd := exec.Command("bash", "--noprofile", "--norc")
	cmd.Stdin = strings.NewReader(script)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return string(out), exit.ExitCode()
	}
	if err != nil {
		t.Fatalf("run bash: %v", err)
	}
	return string(out), 0
}

func TestBuildRunsWithGitLabSemantics(t *testing.T) {
	tests := []struct {
		name     string
		commands []string
		vars     []executor.Variable
		want     string
		wantCode int
	}{
		{
			name:     "echo and output",
			commands: []string{"echo hello", "echo world"},
			want:     "$ echo hello\nhello\n$ echo world\nworld\n",
		},
		{
			name:     "first failure stops with its code",
			commands: []string{"echo a", "(exit 3)", "echo never"},
			want:     "$ echo a\na\n$ (exit 3)\n",
			wantCode: 3,
		},
		{
			name:     "pipefail",
			commands: []string{"false | true", "echo never"},
			want:     "$ false | true\n",
			wantCode: 1,
		},
		{
			name:     "failure inside && does not stop",
			commands: []string{"false && echo no", "echo yes"},
			want:     "$ false && echo no\n$ echo yes\nyes\n",
		},
		{
			name:     "multi-line command collapsed in echo",
			commands: []string{"if true; then\n  echo inside\nfi"},
			want:     "$ if true; then # collapsed multi-line command\ninside\n",
		},
		{
			name:     "empty command prints empty line",
			commands: []string{"", "echo x"},
			want:     "\n$ echo x\nx\n",
		},
		{
			name:     "stdin is empty so the script is not eaten",
			commands: []string{"cat", "echo after"},
			want:     "$ cat\n$ echo after\nafter\n",
		},
		{
			name:     "variables quoted safely",
			commands: []string{`echo "$A|$B|$C"`},
			vars:     []executor.Variable{{Name: "A", Value: `it's "q" $HOME`}, {Name: "B", Value: "x\ny"}, {Name: "C", Value: ""}, {Name: "bad-name", Value: "v"}},
			want:     "$ echo \"$A|$B|$C\"\nit's \"q\" $HOME|x\ny|\n",
		},
		{
			name:     "later variable wins",
			commands: []string{"echo $V"},
			vars:     []executor.Variable{{Name: "V", Value: "1"}, {Name: "V", Value: "2"}},
			want:     "$ echo $V\n2\n",
		},
		{
			name:     "exit code of exit",
			commands: []string{"exit 42"},
			want:     "$ exit 42\n",
			wantCode: 42,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, code := runBash(t, Build(tt.commands, Options{Variables: tt.vars}))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d", code, tt.wantCode)
			}
		})
	}
}

func TestBuildDirAndFileVariables(t *testing.T) {
	dir := t.TempDir()
	tmp := filepath.Join(t.TempDir(), "tmp")
	s := Build([]string{"pwd", `cat "$KEY"`}, Options{
		Dir:       dir,
		TempDir:   tmp,
		Variables: []executor.Variable{{Name: "KEY", Value: "line1\nline2", File: true}},
	})
	got, code := runBash(t, s)
	want := "$ pwd\n" + dir + "\n$ cat \"$KEY\"\nline1\nline2"
	if code != 0 || got != want {
		t.Fatalf("got %q (exit %d), want %q", got, code, want)
	}
	if b, err := os.ReadFile(filepath.Join(tmp, "KEY")); err != nil || string(b) != "line1\nline2" {
		t.Fatalf("file variable: %q, %v", b, err)
	}
}

func TestBuildColor(t *testing.T) {
	got, _ := runBash(t, Build([]string{"true"}, Options{Color: true}))
	if want := "\x1b[32;1m$ true\x1b[0;m\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestBuildMissingDirFails(t *testing.T) {
	_, code := runBash(t, Build([]string{"echo never"}, Options{Dir: "/nonexistent/dir"}))
	if code == 0 {
		t.Fatal("cd into a missing dir succeeded")
	}
}

func FuzzQuote(f *testing.F) {
	for _, s := range []string{"", "a", "it's", `"$x"`, "a\nb", "\\'", "$(rm -rf /)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.ContainsRune(s, 0) {
			return // bash strings cannot hold NUL
		}
		out, err := exec.Command("bash", "--noprofile", "--norc", "-c", "printf '%s' "+Quote(s)).Output()
		if err != nil {
			t.Fatalf("bash: %v", err)
		}
		if string(out) != s {
			t.Fatalf("Quote(%q) expands to %q", s, out)
		}
	})
}

// TestBuildRunsUnderPOSIXSh: the docker executor runs the same script with
// sh when an image has no bash.
func TestBuildRunsUnderPOSIXSh(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sh)
	cmd.Stdin = strings.NewReader(Build([]string{"echo a", "cat", "(exit 4)", "echo never"}, Options{}))
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 4 {
		t.Fatalf("sh: %v, want exit 4", err)
	}
	if want := "$ echo a\na\n$ cat\n$ (exit 4)\n"; string(out) != want {
		t.Errorf("output %q, want %q", out, want)
	}
}
