// Package conformance checks gantry against gitlab-ci-local's own test
// pipelines and what gitlab-ci-local 4.70.0 observably did on them
// (testdata/gcl, see its README). The harness prepares each case exactly as
// the corpus README says; each check maps the recorded invocation to a
// gantry command.
package conformance

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const gclDir = "testdata/gcl"

type gclCase struct {
	Case        string          `json:"case"`
	Root        string          `json:"root"`
	Remote      *string         `json:"remote"`
	Invocations []gclInvocation `json:"invocations"`
}

type gclInvocation struct {
	Args    []string          `json:"args"`
	Setup   *string           `json:"setup"`
	Subdir  *string           `json:"subdir"`
	Env     map[string]string `json:"env"`
	PreRuns [][]string        `json:"pre_runs"`
}

type gclGolden struct {
	Case        string     `json:"case"`
	N           int        `json:"n"`
	BaseArgs    []string   `json:"base_args"`
	ExitCode    int        `json:"exit_code"`
	Jobs        []gclJob   `json:"jobs"`
	Error       *string    `json:"error"`
	OtherStdout []string   `json:"other_stdout"`
	Setup       *string    `json:"setup"`
	Subdir      *string    `json:"subdir"`
	PreRuns     [][]string `json:"pre_runs"`
	Env         map[string]string
}

type gclJob struct {
	Name            string   `json:"name"`
	Status          string   `json:"status"`
	Output          []string `json:"output"`
	Stderr          []string `json:"stderr"`
	AfterScriptWarn bool     `json:"after_script_warn"`
	Coverage        *string  `json:"coverage"`
}

// remote is the case's origin URL.
func (c gclCase) remote() string {
	if c.Remote != nil {
		return *c.Remote
	}
	return gclRemote
}

// check runs a check of one invocation as the subtest id and returns how
// gantry differed from gitlab-ci-local; a difference not explained in
// exceptions fails the subtest.
func check(t *testing.T, id string, g gclGolden, exceptions map[string]string, fn func(*testing.T) string) string {
	t.Helper()
	var diff string
	t.Run(id, func(t *testing.T) {
		diff = fn(t)
		if diff == "" {
			return
		}
		if reason, ok := exceptions[id]; ok {
			t.Logf("known difference (%s): %s", reason, diff)
			return
		}
		t.Errorf("%s %q: %s", id, strings.Join(g.BaseArgs, " "), diff)
	})
	return diff
}

// gclCases returns the public cases with their goldens, in public.txt order.
func gclCases(t *testing.T) []gclCase {
	t.Helper()
	var manifest struct {
		Cases []gclCase `json:"cases"`
	}
	readJSON(t, filepath.Join(gclDir, "cases.json"), &manifest)
	byName := map[string]gclCase{}
	for _, c := range manifest.Cases {
		byName[c.Case] = c
	}
	pub, err := os.ReadFile(filepath.Join(gclDir, "public.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var out []gclCase
	for _, name := range strings.Fields(string(pub)) {
		c, ok := byName[name]
		if !ok {
			t.Fatalf("public.txt names %q, which cases.json does not have", name)
		}
		out = append(out, c)
	}
	return out
}

func golden(t *testing.T, c gclCase, n int) gclGolden {
	t.Helper()
	var g gclGolden
	readJSON(t, filepath.Join(gclDir, "golden", c.Case+"__"+strconv.Itoa(n)+".json"), &g)
	return g
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

const (
	gclRemote     = "git@gitlab.com:gcl/test-project.git"
	gclCommitDate = "2020-01-05T00:00:00Z"
)

// gitEnv is the fixed environment the corpus's git commands ran with.
func gitEnv() []string {
	return append(os.Environ(),
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_DATE="+gclCommitDate, "GIT_COMMITTER_DATE="+gclCommitDate,
		"GIT_AUTHOR_NAME=Testersen", "GIT_AUTHOR_EMAIL=test@test.com",
		"GIT_COMMITTER_NAME=Testersen", "GIT_COMMITTER_EMAIL=test@test.com",
	)
}

// prepare copies the case's fixture into a fresh git repository as the
// corpus README says, runs the invocation's setup, and returns the
// directory to run in.
func prepare(t *testing.T, c gclCase, g gclGolden) string {
	t.Helper()
	wd := filepath.Join(t.TempDir(), c.Case)
	src := filepath.Join(gclDir, "src", "tests", "test-cases", c.Root)
	if err := os.MkdirAll(wd, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("cp", "-a", src+"/.", wd+"/").CombinedOutput(); err != nil {
		t.Fatalf("copy fixture: %v\n%s", err, out)
	}
	for _, args := range [][]string{
		{"init", "-q", "-b", "master"},
		{"config", "user.name", "Testersen"},
		{"config", "user.email", "test@test.com"},
		{"add", "-A"},
		{"commit", "-q", "--no-gpg-sign", "-m", "Commit Title", "-m", "More commit text"},
		{"remote", "add", "origin", c.remote()},
		{"update-ref", "refs/remotes/origin/main", "HEAD"},
		{"symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main"},
	} {
		cmd := exec.Command("git", args...)
		cmd.Dir, cmd.Env = wd, gitEnv()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	if g.Setup != nil {
		cmd := exec.Command("bash", "-euo", "pipefail", "-c", *g.Setup)
		cmd.Dir, cmd.Env = wd, gitEnv()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("setup %q: %v\n%s", *g.Setup, err, out)
		}
	}
	if g.Subdir != nil {
		wd = filepath.Join(wd, *g.Subdir)
	}
	return wd
}

// setGCLEnv gives gantry, which runs in-process, the invocation's
// environment as gitlab-ci-local had it: gantry reads the GCL_* variables
// (GCL_VARIABLE_NAME, GCL_VARIABLE, GCL_NEEDS...) itself, so that reading
// is what the check tests, not a mapping to flags here.
func setGCLEnv(t *testing.T, g gclGolden) {
	t.Helper()
	for k, v := range g.Env {
		t.Setenv(k, v)
	}
}

// gclArgs is a gitlab-ci-local command line, parsed.
type gclArgs struct {
	Jobs, Manual, Variables []string
	Stages                  []string
	Needs, OnlyNeeds        bool
	File, Cwd               string
	Preview, List           bool
	Concurrency             string
	VariablesFile           string
	// Home holds gitlab-ci-local's user variables file.
	Home         string
	ValidateDeps bool
	// ShellIsolation: jobs run in a copy of the project, not in it.
	ShellIsolation bool
	// Docker: jobs without image: run in containers too
	// (--no-shell-executor-no-image), gantry's --executor docker.
	Docker bool
}

func parseGCLArgs(args []string) gclArgs {
	var a gclArgs
	for i := 0; i < len(args); i++ {
		next := func() string {
			if i+1 < len(args) {
				i++
				return args[i]
			}
			return ""
		}
		switch args[i] {
		case "--job":
			a.Jobs = append(a.Jobs, next())
		case "--manual":
			a.Manual = append(a.Manual, next())
		case "--stage":
			a.Stages = append(a.Stages, next())
		case "--variable":
			a.Variables = append(a.Variables, next())
		case "--needs":
			a.Needs = true
		case "--shell-isolation":
			a.ShellIsolation = true
		case "--only-needs":
			a.OnlyNeeds = true
		case "--file":
			a.File = next()
		case "--cwd":
			a.Cwd = next()
		case "--preview":
			a.Preview = true
		case "--list", "--list-csv", "--list-json":
			a.List = true
		case "--concurrency":
			a.Concurrency = next()
		case "--variables-file":
			a.VariablesFile = next()
		case "--home":
			a.Home = next()
		case "--validate-dependency-chain":
			a.ValidateDeps = true
		case "--no-shell-executor-no-image":
			a.Docker = true
		case "--shell-executor-no-image":
			a.Docker = false
		case "--max-job-name-padding", "--pull-policy", "--default-image", "--maximum-includes", "--ignore-schema-paths":
			next() // options about gitlab-ci-local itself, with a value
		}
	}
	return a
}
