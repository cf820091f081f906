//go:build deploybench

package deploy_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/deploy"
	"github.com/gantry-ci/gantry/internal/deploy/deploytest"
	"github.com/gantry-ci/gantry/internal/registrytest"
	"github.com/gantry-ci/gantry/internal/testenv"
)

// TestDeployBench times the same deploys done by the guide's deploy.sh
// (bench/deploy/deploy.sh, run over ssh as the guide's deploy_prod job
// does) and by the gantry binary, on the same host and stack, alternating
// v1 and v2 so that each run pulls, migrates and restarts. It is a
// benchmark, built only with -tags deploybench: bench/deploy.sh runs it
// with GANTRY_BENCH_DEPLOY=N rounds (default 3).
func TestDeployBench(t *testing.T) {
	rounds, err := strconv.Atoi(os.Getenv("GANTRY_BENCH_DEPLOY"))
	if err != nil || rounds < 1 {
		rounds = 3
	}
	testenv.Require(t, "ssh")
	r := deploytest.New(t)
	r.Push("v1", "v1")
	r.Push("v2", "v2")
	root, err := testenv.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "gantry")
	if out, err := exec.Command("go", "build", "-o", bin, filepath.Join(root, "cmd", "gantry")).CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cfg := filepath.Join(r.Repo, "gantry.yml")
	src, _ := os.ReadFile(cfg)
	src = bytes.Replace(src, []byte("    variables:\n"), []byte("    project: "+r.Project+"\n    variables:\n      DOCKER_CONFIG: $DOCKER_CONFIG\n"), 1)
	if err := os.WriteFile(cfg, src, 0o644); err != nil {
		t.Fatal(err)
	}
	env := os.Environ()
	for k, v := range r.Vars {
		env = append(env, k+"="+v)
	}
	env = append(env, "GANTRY_SSH_KNOWN_HOSTS="+r.SSHD.KnownHosts, "GANTRY_SSH_IDENTITY="+r.SSHD.Identity, "SSH_AUTH_SOCK=",
		"CI_REGISTRY="+r.Reg.Host(), "CI_REGISTRY_USER="+registrytest.User, "CI_REGISTRY_PASSWORD="+registrytest.Password)

	steps := map[deploy.Step][]time.Duration{}
	gantryDeploy := func(tag string) (total, health time.Duration) {
		var out, errOut bytes.Buffer
		cmd := exec.Command(bin, "deploy", "production", "--tag", tag, "--json", "-C", r.Repo, "--ca-file", r.Reg.CAFile())
		cmd.Env, cmd.Stdout, cmd.Stderr = env, &out, &errOut
		start := time.Now()
		if err := cmd.Run(); err != nil {
			t.Fatalf("gantry deploy %s: %v\n%s", tag, err, errOut.String())
		}
		total = time.Since(start)
		var rep deploy.Report
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatal(err)
		}
		for _, s := range rep.Steps {
			steps[s.Step] = append(steps[s.Step], s.Duration)
			if s.Step == deploy.StepHealth || s.Step == deploy.StepObserve {
				health += s.Duration
			}
		}
		return total, health
	}
	// The guide's way: the files are on the server (gantry's first deploy
	// put them there), and the job runs ssh user@server "cd dir && ./deploy.sh SHA".
	gantryDeploy("v1")
	script, err := os.ReadFile(filepath.Join(root, "bench", "deploy", "deploy.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.HostDir, "deploy.sh"), script, 0o755); err != nil {
		t.Fatal(err)
	}
	host, port := r.SSHD.Addr[:len("127.0.0.1")], r.SSHD.Addr[len("127.0.0.1:"):]
	shDeploy := func(tag string) time.Duration {
		remote := fmt.Sprintf("cd %s && REGISTRY=%s PROJECT=%s WEB_PORT=%s DOCKER_CONFIG=%s ./deploy.sh %s",
			r.HostDir, r.Reg.Host(), r.Project, r.WebPort, r.Vars["DOCKER_CONFIG"], tag)
		cmd := exec.Command("ssh", "-i", r.SSHD.Identity, "-o", "UserKnownHostsFile="+r.SSHD.KnownHosts, "-o", "StrictHostKeyChecking=yes",
			"-o", "BatchMode=yes", "-p", port, r.SSHD.User+"@"+host, remote)
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("deploy.sh %s: %v\n%s", tag, err, out)
		}
		return time.Since(start)
	}
	var sh, gt, gtHealth []time.Duration
	for i := 0; i < rounds; i++ {
		for _, tag := range []string{"v2", "v1"} {
			sh = append(sh, shDeploy(tag))
			total, health := gantryDeploy(tag)
			gt, gtHealth = append(gt, total-health), append(gtHealth, health)
		}
	}
	med := func(d []time.Duration) time.Duration {
		s := append([]time.Duration(nil), d...)
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		return s[len(s)/2]
	}
	ratio := float64(med(gt)) / float64(med(sh))
	fmt.Printf("deploy.sh over ssh            median %6.2fs  (%d deploys)\n", med(sh).Seconds(), len(sh))
	fmt.Printf("gantry deploy, health excluded median %6.2fs  (health gate + observation: median %.2fs)\n", med(gt).Seconds(), med(gtHealth).Seconds())
	fmt.Printf("ratio %.2fx (target <= 1.2x)\n", ratio)
	fmt.Printf("gantry steps (median):")
	for st := deploy.StepResolve; st <= deploy.StepNotify; st++ {
		if d := steps[st]; len(d) > 0 {
			fmt.Printf(" %s %.2fs", st, med(d).Seconds())
		}
	}
	fmt.Println()
}
