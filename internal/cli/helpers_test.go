package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// run runs gantry in-process and returns its exit code, stdout and stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// writeFiles creates files (name -> content) in a fresh directory.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// gantryLogs returns the files under dir/.gantry/logs by path.
func gantryLogs(t *testing.T, dir string) map[string]string {
	t.Helper()
	texts := map[string]string{}
	err := filepath.Walk(filepath.Join(dir, ".gantry", "logs"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			b, rerr := os.ReadFile(p)
			texts[p] = string(b)
			return rerr
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return texts
}

// gitIn runs git in dir for a test, with a fixed identity and without the
// user's or the system's configuration, and returns its trimmed output.
func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=T", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=T", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// commitAll makes dir a git repository on branch with one commit, message,
// of all its files, and returns the commit.
func commitAll(t *testing.T, dir, branch, message string) string {
	t.Helper()
	gitIn(t, dir, "init", "-q", "-b", branch)
	gitIn(t, dir, "add", "-A")
	gitIn(t, dir, "commit", "-q", "-m", message)
	return gitIn(t, dir, "rev-parse", "HEAD")
}

// gitRepo makes dir a git repository on branch with one commit, and an
// origin whose default branch is main.
func gitRepo(t *testing.T, dir, branch string) {
	t.Helper()
	commitAll(t, dir, branch, "first")
	gitIn(t, dir, "remote", "add", "origin", "git@gitlab.example.com:group/app.git")
	gitIn(t, dir, "update-ref", "refs/remotes/origin/main", "HEAD")
	gitIn(t, dir, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
}

var (
	gantryBinOnce sync.Once
	gantryBinDir  string
	gantryBinErr  error
)

// gantryBinary builds cmd/gantry once per test run, for jobs and signals.
func gantryBinary(t *testing.T) string {
	t.Helper()
	gantryBinOnce.Do(func() {
		gantryBinDir, gantryBinErr = os.MkdirTemp("", "gantry-bin")
		if gantryBinErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", filepath.Join(gantryBinDir, "gantry"), "../../cmd/gantry").CombinedOutput()
		if err != nil {
			gantryBinErr = err
			t.Logf("%s", out)
		}
	})
	if gantryBinErr != nil {
		t.Fatalf("build gantry: %v", gantryBinErr)
	}
	return filepath.Join(gantryBinDir, "gantry")
}
