package cli

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
)

// gclApplied parses args for the gantry command cmd, applies
// gitlab-ci-local's options from environ, home and the files, and returns
// the flags that ended up set, with the notes written.
func gclApplied(t *testing.T, newCmd func(*env) *cobra.Command, args, environ []string, home string) (map[string]string, string, error) {
	t.Helper()
	var warn bytes.Buffer
	cmd := newCmd(&env{stdout: &warn, stderr: &warn})
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	err := applyGCL(context.Background(), cmd.Flags(), environ, home, &warn)
	got := map[string]string{}
	for _, name := range []string{"file", "directory", "variable", "job", "manual", "needs", "only-needs", "jobs", "home", "variables-file", "quiet", "executor"} {
		if f := cmd.Flags().Lookup(name); f != nil && f.Changed {
			got[name] = f.Value.String()
		}
	}
	return got, warn.String(), err
}

func TestGCLOptionsPrecedence(t *testing.T) {
	home := writeFiles(t, map[string]string{
		".gitlab-ci-local/.env": "FILE=home.yml\nNEEDS=true\nMANUAL=deploy\n",
	})
	project := writeFiles(t, map[string]string{
		gclEnvFile: "# from gitlab-ci-local's README\nFILE=doctor-strange.yml\nVARIABLE=\"A=1 B=2\"\nCONCURRENCY=3\nJOB=build\n",
	})
	tests := []struct {
		name    string
		args    []string
		environ []string
		home    string
		want    map[string]string
	}{
		{
			name: "project file, then home file",
			args: []string{"-C", project}, home: home,
			want: map[string]string{
				"directory": project, "file": "doctor-strange.yml", "variable": "[A=1,B=2]", "jobs": "3",
				"job": "[build]", "needs": "true", "manual": "[deploy]",
			},
		},
		{
			name: "environment over files",
			args: []string{"-C", project}, home: home,
			environ: []string{"GCL_FILE=env.yml", "GCL_NEEDS=false", "GCL_CONCURRENCY=5", "GCL_VARIABLE=C=3;D=4;", "PATH=/bin"},
			want: map[string]string{
				"directory": project, "file": "env.yml", "variable": "[C=3,D=4]", "jobs": "5",
				"job": "[build]", "needs": "false", "manual": "[deploy]",
			},
		},
		{
			name:    "command line over all; lists from the environment come first",
			args:    []string{"-C", project, "-f", "cli.yml", "-j", "1", "--needs", "--variable", "A=cli", "--job", "test"},
			environ: []string{"GCL_FILE=env.yml", "GCL_NEEDS=false", "GCL_CONCURRENCY=5", "GCL_VARIABLE=A=env", "GCL_VARIABLE_Z=z", "GCL_VARIABLE_Y=y"},
			want: map[string]string{
				"directory": project, "file": "cli.yml", "variable": "[Y=y,Z=z,A=env,A=cli]", "jobs": "1",
				"job": "[test]", "needs": "true",
			},
		},
		{
			name: "GCL_VARIABLE_ is one variable, not split",
			args: []string{"-C", project}, environ: []string{"GCL_VARIABLE_X=a;b=c", "GCL_VARIABLE_=skipped"},
			want: map[string]string{
				"directory": project, "file": "doctor-strange.yml", "variable": "[X=a;b=c]", "jobs": "3", "job": "[build]",
			},
		},
		{
			name:    "GCL_CWD finds the project file",
			environ: []string{"GCL_CWD=" + project},
			want: map[string]string{
				"directory": project, "file": "doctor-strange.yml", "variable": "[A=1,B=2]", "jobs": "3", "job": "[build]",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := gclApplied(t, runCmd, tt.args, tt.environ, tt.home)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("flags (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGCLOptionsNotes(t *testing.T) {
	project := writeFiles(t, map[string]string{
		gclEnvFile: "PRIVILEGED=true\nULIMIT=8000:16000\nnot an option line\nNEEDS=true\nSTATE_DIR=null\n",
	})
	got, notes, err := gclApplied(t, runCmd, []string{"-C", project}, []string{"GCL_UMASK=false", "GCL_TIMESTAMPS=true"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"directory": project, "needs": "true"}, got); diff != "" {
		t.Errorf("flags (-want +got):\n%s", diff)
	}
	file := filepath.Join(project, gclEnvFile)
	want := []string{
		"gantry: " + file + ":3: not NAME=value, ignored (as gitlab-ci-local does)",
		"gantry: ignoring gitlab-ci-local options gantry does not have: GCL_TIMESTAMPS, GCL_UMASK, PRIVILEGED (" + file + ":1), ULIMIT (" + file + ":2), STATE_DIR (" + file + ":5)",
		"gantry: options from gitlab-ci-local's " + file,
	}
	if diff := cmp.Diff(want, strings.Split(strings.TrimSpace(notes), "\n")); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
}

func TestGCLOptionsErrors(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		environ []string
		want    string
	}{
		{"bad boolean in the file", "FILE=x.yml\nNEEDS=maybe\n", nil, gclEnvFile + ":2:7: NEEDS=maybe: want true or false"},
		{"bad number in the file", "CONCURRENCY=many", nil, gclEnvFile + ":1:13: CONCURRENCY=many: want a number of jobs"},
		{"bad variable in the file", "VARIABLE=\"A=1 oops\"", nil, gclEnvFile + ":1:10: VARIABLE=oops: want NAME=VALUE"},
		{"bad boolean in the environment", "", []string{"GCL_ONLY_NEEDS=yes"}, "environment: GCL_ONLY_NEEDS=yes: want true or false"},
		{"bad variable in the environment", "", []string{"GCL_VARIABLE=A=1;=2"}, "environment: GCL_VARIABLE==2: want NAME=VALUE"},
		{"negative concurrency", "", []string{"GCL_CONCURRENCY=-1"}, "environment: GCL_CONCURRENCY=-1: want a number of jobs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			project := writeFiles(t, map[string]string{gclEnvFile: tt.file})
			_, _, err := gclApplied(t, runCmd, []string{"-C", project}, tt.environ, "")
			if err == nil {
				t.Fatal("no error")
			}
			if got := strings.TrimPrefix(err.Error(), project+"/"); got != tt.want {
				t.Errorf("error %q, want %q", got, tt.want)
			}
			var ee *exitError
			if !errors.As(err, &ee) || ee.code != ExitInvalid {
				t.Errorf("error %v does not exit %d", err, ExitInvalid)
			}
		})
	}
}

func TestGCLOptionsPerCommand(t *testing.T) {
	project := writeFiles(t, map[string]string{
		gclEnvFile: "FILE=other.yml\nVARIABLE=A=1\nCONCURRENCY=2\nJOB=a\nSHELL_EXECUTOR_NO_IMAGE=false\n",
	})
	tests := []struct {
		name    string
		cmd     func(*env) *cobra.Command
		environ []string
		want    map[string]string
	}{
		{"run", runCmd, nil, map[string]string{"directory": project, "file": "other.yml", "variable": "[A=1]", "jobs": "2", "job": "[a]", "executor": "docker"}},
		{"force-shell-executor wins", runCmd, []string{"GCL_FORCE_SHELL_EXECUTOR=true"}, map[string]string{"directory": project, "file": "other.yml", "variable": "[A=1]", "jobs": "2", "job": "[a]", "executor": "shell"}},
		{"list has no -j", listCmd, nil, map[string]string{"directory": project, "file": "other.yml", "variable": "[A=1]", "job": "[a]"}},
		{"config", configCmd, nil, map[string]string{"directory": project, "file": "other.yml", "variable": "[A=1]"}},
		{"lint reads only the file", lintCmd, nil, map[string]string{"directory": project, "file": "other.yml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, notes, err := gclApplied(t, tt.cmd, []string{"-C", project}, tt.environ, "")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("flags (-want +got):\n%s", diff)
			}
			if strings.Contains(notes, "ignoring") {
				t.Errorf("options gantry has were reported as ignored: %s", notes)
			}
		})
	}
}

// TestGCLOptionsGitRootFallback checks that without -C and -f, in a
// directory without .gitlab-ci.yml, the options file of the git root is
// read and its FILE is relative to the root, as gitlab-ci-local works
// there.
func TestGCLOptionsGitRootFallback(t *testing.T) {
	root := writeFiles(t, map[string]string{
		gclEnvFile:  "FILE=other.yml\n",
		"other.yml": "a:\n  script: echo a\n",
		"sub/x.txt": "",
	})
	gitRepo(t, root, "main")
	t.Chdir(filepath.Join(root, "sub"))
	got, _, err := gclApplied(t, listCmd, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"directory": root, "file": "other.yml"}, got); diff != "" {
		t.Errorf("flags (-want +got):\n%s", diff)
	}
}

// TestGCLOptionsEndToEnd runs gitlab-ci-local's own cases through gantry:
// dotenv (a .gitlab-ci-local-env naming the pipeline file) and
// gcl-env-variable-split / gcl-variable-env (variables from GCL_*).
func TestGCLOptionsEndToEnd(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		gclEnvFile:           "FILE=doctor-strange.yml\n",
		"doctor-strange.yml": "test-job:\n  script:\n    - echo $VAR1 $VAR2 $MY_VAR\n",
	})
	t.Setenv("HOME", t.TempDir())
	t.Setenv("GCL_VARIABLE", "VAR1=from_env1;VAR2=from_env2")
	t.Setenv("GCL_VARIABLE_MY_VAR", "hello")
	if jobs := listJobs(t, dir); len(jobs) != 1 || jobs[0].Name != "test-job" {
		t.Fatalf("list: %+v", jobs)
	}
	code, out, errOut := run(t, "run", "-C", dir)
	if code != 0 {
		t.Fatalf("run: exit %d: %s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "from_env1 from_env2 hello") {
		t.Errorf("run output lacks the variables:\n%s", out)
	}
}

func TestGCLOptionName(t *testing.T) {
	for in, want := range map[string]string{
		"FILE": "file", "ONLY_NEEDS": "only-needs", "only-needs": "only-needs", "onlyNeeds": "only-needs",
		"OnlyNeeds": "only-needs", "VARIABLES_FILE": "variables-file", "_X_": "x", "a__b": "a-b",
	} {
		if got := gclOptionName(in); got != want {
			t.Errorf("gclOptionName(%q) = %q, want %q", in, got, want)
		}
	}
}
