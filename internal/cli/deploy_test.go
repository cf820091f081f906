package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/deploy"
	"github.com/gantry-ci/gantry/internal/deploy/deploytest"
	"github.com/gantry-ci/gantry/internal/registrytest"
)

// deployRepo turns the rig's repository into what a user has: gantry.yml
// with the rig's compose project and registry credentials for the host,
// the pipeline file, all committed on main. It returns the HEAD commit.
func deployRepo(t *testing.T, r *deploytest.Rig) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(r.Repo, "gantry.yml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(src), "    variables:\n", "    project: "+r.Project+"\n    variables:\n      DOCKER_CONFIG: $DOCKER_CONFIG\n", 1)
	pipeline, err := os.ReadFile(filepath.Join("..", "..", "testdata", "deploy", ".gitlab-ci.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{"gantry.yml": cfg, ".gitlab-ci.yml": string(pipeline)} {
		if err := os.WriteFile(filepath.Join(r.Repo, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return commitAll(t, r.Repo, "main", "app")
}

// deployEnv sets the variables gantry.yml and the registry need, as a CI
// system would give them to the job.
func deployEnv(t *testing.T, r *deploytest.Rig) {
	for k, v := range r.Vars {
		t.Setenv(k, v)
	}
	t.Setenv("GANTRY_SSH_KNOWN_HOSTS", r.SSHD.KnownHosts)
	t.Setenv("GANTRY_SSH_IDENTITY", r.SSHD.Identity)
	t.Setenv("CI_REGISTRY", r.Reg.Host())
	t.Setenv("CI_REGISTRY_USER", registrytest.User)
	t.Setenv("CI_REGISTRY_PASSWORD", registrytest.Password)
	t.Setenv("REGISTRY_CA", r.Reg.CAFile())
	t.Setenv("SSH_AUTH_SOCK", "")
}

func deployCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(""), &out, &errOut)
	t.Logf("gantry %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errOut.String())
	return code, out.String(), errOut.String()
}

// TestDeployFromPipeline is scenario 9: `gantry run` plays the guide's
// manual deploy_prod job on main, whose script runs `gantry deploy` with
// $CI_COMMIT_SHA. Then the other deploy commands on the same environment.
func TestDeployFromPipeline(t *testing.T) {
	r := deploytest.New(t)
	sha := deployRepo(t, r)
	r.Push("v1", sha)
	r.Push("v2", "v2")
	deployEnv(t, r)
	t.Setenv("PATH", filepath.Dir(gantryBinary(t))+string(os.PathListSeparator)+os.Getenv("PATH"))
	ca := "--ca-file=" + r.Reg.CAFile()

	t.Run("the manual job is not run without being played", func(t *testing.T) {
		code, _, _, rep := gantryRun(t, r.Repo)
		if code != ExitOK {
			t.Fatalf("exit %d", code)
		}
		for _, j := range rep.Jobs {
			if j.Name == "deploy_prod" && j.Status != "manual" && j.Status != "skipped" {
				t.Errorf("deploy_prod ran unplayed: %s", j.Status)
			}
		}
		if got := r.Serving(); strings.HasPrefix(got, "v1") {
			t.Errorf("deployed without the manual job: %s", got)
		}
	})

	t.Run("9 deploy_prod played on main deploys $CI_COMMIT_SHA", func(t *testing.T) {
		code, _, _, rep := gantryRun(t, r.Repo, "--manual", "deploy_prod")
		if code != ExitOK {
			t.Fatalf("gantry run: exit %d, jobs %+v", code, rep.Jobs)
		}
		if got := r.Serving(); got != sha+"/ok" {
			t.Errorf("serving %s, want %s/ok", got, sha)
		}
		code, out, _ := deployCLI(t, "releases", "production", "-C", r.Repo, "--json")
		var h struct {
			Current  deploy.Current
			Releases []deploy.Record
		}
		if err := json.Unmarshal([]byte(out), &h); err != nil || code != ExitOK {
			t.Fatalf("releases: exit %d, %v", code, err)
		}
		if len(h.Releases) != 1 || h.Releases[0].Tag != sha || h.Current.Tag != sha || !strings.HasPrefix(h.Releases[0].Reason, "pipeline ") {
			t.Errorf("history %+v", h)
		}
	})

	t.Run("dry run changes nothing", func(t *testing.T) {
		code, out, _ := deployCLI(t, "deploy", "production", "--tag", "v2", "--dry-run", "-C", r.Repo, ca)
		if code != ExitOK {
			t.Fatalf("exit %d", code)
		}
		for _, want := range []string{"dry run", "lock:     free", "serving:  " + sha, "pull -q web worker beat", "run --rm -T web /app migrate", "com.docker.compose.service=beat", "up -d web worker beat"} {
			if !strings.Contains(out, want) {
				t.Errorf("plan lacks %q", want)
			}
		}
		if got := r.Serving(); got != sha+"/ok" {
			t.Errorf("serving %s after a dry run", got)
		}
	})

	t.Run("deploy, releases, rollback", func(t *testing.T) {
		if code, _, _ := deployCLI(t, "deploy", "production", "--tag", "v2", "-C", r.Repo, ca); code != ExitOK {
			t.Fatalf("deploy v2: exit %d", code)
		}
		code, out, _ := deployCLI(t, "releases", "production", "-C", r.Repo)
		if code != ExitOK || !strings.Contains(out, "*") || !strings.Contains(out, "v2") {
			t.Errorf("releases: exit %d\n%s", code, out)
		}
		if code, _, _ := deployCLI(t, "rollback", "production", "-C", r.Repo); code != ExitOK {
			t.Fatalf("rollback: exit %d", code)
		}
		if got := r.Serving(); got != sha+"/ok" {
			t.Errorf("serving %s after the rollback, want %s/ok", got, sha)
		}
	})

	t.Run("lock status and release", func(t *testing.T) {
		code, out, _ := deployCLI(t, "lock", "status", "production", "-C", r.Repo)
		if code != ExitOK || !strings.Contains(out, "not locked") {
			t.Errorf("status: exit %d: %s", code, out)
		}
		// A deploy killed hard leaves its lock behind.
		stale := `{"id":"dead","env":"production","who":"ghost@ci","machine":"m","pid":1,"since":"2026-01-02T03:04:05Z","action":"deploy","tag":"v9"}`
		if err := os.WriteFile(filepath.Join(r.HostDir, ".gantry", "lock"), []byte(stale), 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, errOut := deployCLI(t, "deploy", "production", "--tag", "v2", "-C", r.Repo, ca)
		if code != ExitFailed || !strings.Contains(errOut, "locked by ghost@ci") {
			t.Errorf("deploy under a stale lock: exit %d: %s", code, errOut)
		}
		if code, out, _ := deployCLI(t, "lock", "status", "production", "-C", r.Repo); code != ExitOK || !strings.Contains(out, "locked by ghost@ci") {
			t.Errorf("status: exit %d: %s", code, out)
		}
		if code, out, _ := deployCLI(t, "lock", "release", "production", "-C", r.Repo); code != ExitOK || !strings.Contains(out, "released") {
			t.Errorf("release: exit %d: %s", code, out)
		}
		if _, err := os.Stat(filepath.Join(r.HostDir, ".gantry", "lock")); !os.IsNotExist(err) {
			t.Errorf("lock still there: %v", err)
		}
	})

	t.Run("protected needs --approve, bad config is exit 2", func(t *testing.T) {
		cfg := filepath.Join(r.Repo, "gantry.yml")
		src, _ := os.ReadFile(cfg)
		prot := strings.Replace(string(src), "    hosts:", "    protected: true\n    hosts:", 1)
		if err := os.WriteFile(cfg, []byte(prot), 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, errOut := deployCLI(t, "deploy", "production", "--tag", "v2", "-C", r.Repo, ca)
		if code != ExitInvalid || !strings.Contains(errOut, "--approve") {
			t.Errorf("unapproved deploy: exit %d: %s", code, errOut)
		}
		bad := strings.Replace(string(src), "    services:", "    sevrices:", 1)
		if err := os.WriteFile(cfg, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, errOut = deployCLI(t, "deploy", "production", "--tag", "v2", "-C", r.Repo)
		if code != ExitInvalid || !strings.Contains(errOut, `gantry.yml:`) || !strings.Contains(errOut, `did you mean "services"?`) {
			t.Errorf("bad config: exit %d: %s", code, errOut)
		}
	})
}

// TestDeploySIGTERM is scenario 6 with a real signal: the gantry process
// gets SIGTERM during the release commands, exits 1, releases the lock and
// records the release as canceled.
func TestDeploySIGTERM(t *testing.T) {
	r := deploytest.New(t)
	deployRepo(t, r)
	r.Push("v1", "v1")
	deployEnv(t, r)
	cfg := filepath.Join(r.Repo, "gantry.yml")
	src, _ := os.ReadFile(cfg)
	slow := strings.Replace(string(src), "- /app migrate", "- env MIGRATE_SLEEP=30 /app migrate", 1)
	if err := os.WriteFile(cfg, []byte(slow), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := exec.Command(gantryBinary(t), "deploy", "production", "--tag", "v1", "-C", r.Repo, "--ca-file", r.Reg.CAFile())
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lock := filepath.Join(r.HostDir, ".gantry", "lock")
	deadline := time.Now().Add(30 * time.Second)
	for {
		if b, err := os.ReadFile(filepath.Join(r.HostDir, ".gantry", "releases.jsonl")); err == nil && len(b) > 0 {
			t.Fatalf("deploy ended before the signal: %s", out.String())
		}
		if _, err := os.Stat(lock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no lock after 30s: %s", out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(4 * time.Second) // well into the 30 s migration
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	t.Logf("gantry output:\n%s", out.String())
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != ExitFailed {
		t.Errorf("exit: %v, want status %d", err, ExitFailed)
	}
	if _, err := os.Stat(lock); !os.IsNotExist(err) {
		t.Errorf("lock left behind: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(r.HostDir, ".gantry", "releases.jsonl"))
	if err != nil || !strings.Contains(string(b), `"result":"canceled"`) {
		t.Errorf("release log: %s, %v; want a canceled record", b, err)
	}
}
