package docker

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gantry-ci/gantry/internal/plan"
	"github.com/gantry-ci/gantry/internal/registrytest"
	"github.com/gantry-ci/gantry/internal/scheduler"
	"github.com/gantry-ci/gantry/internal/testenv"
)

// TestPrivateRegistry runs jobs whose image: or services: image is on a
// registry that requires a login, with pull_policy always, through the
// frontend, planner and scheduler: the job's DOCKER_AUTH_CONFIG or its
// CI_REGISTRY credentials let the engine pull; without them the job fails
// saying which image, job and registry, and what to set. No credential
// shows in the job's log or in its failure.
func TestPrivateRegistry(t *testing.T) {
	busybox := testenv.Image(t, "busybox")
	reg := registrytest.Start(t, registrytest.TrustedByDocker())
	private := reg.Push(t, busybox, "gantry-test/private:1")
	// Only the job's variables may log in: no docker config file helps.
	t.Setenv("HOME", t.TempDir())
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	basic := base64.StdEncoding.EncodeToString([]byte(registrytest.User + ":" + registrytest.Password))
	authConfig := fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, reg.Host(), basic)

	pipelines := map[string]string{
		"image": fmt.Sprintf(`private-image:
  image:
    name: %s
    pull_policy: always
  script:
    - echo ran in the private image
`, private),
		"service": fmt.Sprintf(`private-service:
  image: %s
  services:
    - name: %s
      alias: private
      pull_policy: always
      command: ["sleep", "600"]
  script:
    - echo ran beside the private service
`, busybox, private),
	}
	ciRegistry := func(password string) []plan.Variable {
		return []plan.Variable{
			{Name: "CI_REGISTRY", Value: reg.Host()},
			{Name: "CI_REGISTRY_USER", Value: registrytest.User},
			{Name: "CI_REGISTRY_PASSWORD", Value: password, Masked: true},
		}
	}
	refused := "registry " + reg.Host() + " refused the credentials from CI_REGISTRY_USER/CI_REGISTRY_PASSWORD"
	credentials := []struct {
		name string
		vars []plan.Variable
		// dockerConfig logs gantry's user in to the registry.
		dockerConfig bool
		ok           bool
		// says is what the failure says besides the image and the job.
		says []string
	}{
		{name: "DOCKER_AUTH_CONFIG", vars: []plan.Variable{{Name: "DOCKER_AUTH_CONFIG", Value: authConfig, Raw: true}}, ok: true},
		{name: "CI_REGISTRY", vars: ciRegistry(registrytest.Password), ok: true},
		{name: "docker config file", dockerConfig: true, ok: true},
		{name: "none", says: []string{"unauthorized: registry " + reg.Host() + " requires credentials and none were found",
			"hint: set DOCKER_AUTH_CONFIG", "docker login " + reg.Host()}},
		{name: "wrong password", vars: ciRegistry("not-the-password"), says: []string{refused}},
		{name: "job beats the docker config file", vars: ciRegistry("not-the-password"), dockerConfig: true, says: []string{refused}},
		{name: "bad DOCKER_AUTH_CONFIG", vars: []plan.Variable{{Name: "DOCKER_AUTH_CONFIG", Value: `{"auths": {"x": {"auth": "` + basic + `"}`, Raw: true}},
			says: []string{"DOCKER_AUTH_CONFIG is not a docker config.json document (hint:"}},
	}
	for _, what := range []string{"image", "service"} {
		for _, c := range credentials {
			t.Run(what+"/"+c.name, func(t *testing.T) {
				if c.dockerConfig {
					t.Setenv("DOCKER_CONFIG", reg.DockerConfig(t))
				}
				b := newBackend(t, Config{})
				job, _ := newJob(t, b, "") // for its leftover check
				dir := t.TempDir()
				if err := os.WriteFile(filepath.Join(dir, ".gitlab-ci.yml"), []byte(pipelines[what]), 0o644); err != nil {
					t.Fatal(err)
				}
				registrytest.Untag(t, private)
				res, logs := runPipelineIn(t, b, dir, job.Pipeline, c.vars)
				j := res.Jobs[0]
				log := logs[j.Name]
				mustContain(t, "log", log, "Pulling docker image "+private)
				if c.ok {
					if j.Status != scheduler.StatusSuccess {
						t.Fatalf("status %s (%s); log:\n%s", j.Status, j.Reason, log)
					}
					mustContain(t, "log", log, "ran ", "Status: Downloaded newer image for "+private)
				} else {
					if j.Status != scheduler.StatusFailed {
						t.Fatalf("status %s, want failed; log:\n%s", j.Status, log)
					}
					used := "job " + j.Name
					if what == "service" {
						used = "service " + private + " of job " + j.Name
					}
					mustContain(t, "reason", j.Reason, append([]string{used + ": pull " + private + ": "}, c.says...)...)
				}
				for _, secret := range []string{registrytest.Password, basic, "not-the-password"} {
					if strings.Contains(log+j.Reason, secret) {
						t.Errorf("a credential shows in the log or the reason:\n%s\n%s", log, j.Reason)
					}
				}
			})
		}
	}
}
