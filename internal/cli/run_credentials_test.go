package cli

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/gantry-ci/gantry/internal/registrytest"
	"github.com/gantry-ci/gantry/internal/testenv"
)

// TestRunMasksCredentials: registry credentials and tokens a job gets
// without anyone marking them masked — from --variable, a variables file,
// or gantry's own environment that shell jobs inherit — show as [MASKED]
// on stdout and in the log files.
func TestRunMasksCredentials(t *testing.T) {
	const (
		regPassword = "registry-pw-0a1b2c3d"
		dacPassword = "auth-config-pw-4e5f"
		fileToken   = "deploy-pw-from-file-77"
		envToken    = "glcbt-job-token-from-env-9876"
		envPassword = "runner-registry-pw-5555"
	)
	dacAuth := base64.StdEncoding.EncodeToString([]byte("bot:" + dacPassword))
	authConfig := fmt.Sprintf(`{"auths": {"registry.example.com": {"auth": %q}}}`, dacAuth)
	dir := writeFiles(t, map[string]string{
		".gitlab-ci.yml": `creds:
  script:
    - echo "registry password is $CI_REGISTRY_PASSWORD"
    - printf '%s' "$CI_REGISTRY_USER:$CI_REGISTRY_PASSWORD" | base64 -w0; echo " is the basic auth"
    - echo "auth config is $DOCKER_AUTH_CONFIG"
    - echo "$DOCKER_AUTH_CONFIG" | sed 's/.*"auth". "\([^"]*\)".*/\1/' | base64 -d; echo " decoded"
    - echo "deploy password is $CI_DEPLOY_PASSWORD"
    - echo "job token is $CI_JOB_TOKEN"
    - env | grep '^RUNNER_PW=' | sed 's/^RUNNER_PW=/runner password is /'
    - echo "plain is $PLAIN"
`,
		// Unmarked: no "masked" before the names.
		".gantry/variables": "CI_DEPLOY_PASSWORD=" + fileToken + "\nPLAIN=visible\n",
	})
	commitAll(t, dir, "main", "init")
	// gantry's own environment: a job token and a runner's registry
	// password the shell job inherits (RUNNER_PW shows it under another
	// name, as a script that copies it would).
	t.Setenv("CI_JOB_TOKEN", envToken)
	t.Setenv("CI_REGISTRY_PASSWORD", envPassword)
	t.Setenv("RUNNER_PW", envPassword)

	code, out, errOut, _ := gantryRun(t, dir, "--variable", "CI_REGISTRY_USER=bot",
		"--variable", "CI_REGISTRY_PASSWORD="+regPassword, "--variable", "DOCKER_AUTH_CONFIG="+authConfig)
	if code != ExitOK {
		t.Fatalf("exit code %d\n%s\n%s", code, out, errOut)
	}
	texts := gantryLogs(t, dir)
	if len(texts) == 0 {
		t.Fatal("no log files")
	}
	texts["stdout"], texts["stderr"] = out, errOut
	secrets := []string{regPassword, dacPassword, dacAuth, fileToken, envToken, envPassword,
		base64.StdEncoding.EncodeToString([]byte("bot:" + regPassword))}
	for where, text := range texts {
		for _, secret := range secrets {
			if strings.Contains(text, secret) {
				t.Errorf("%s shows %q:\n%s", where, secret, text)
			}
		}
		if where == "stderr" {
			continue
		}
		for _, w := range []string{
			"registry password is [MASKED]\n", "[MASKED] is the basic auth\n",
			`auth config is {"auths": {"registry.example.com": {"auth": "[MASKED]"}}}` + "\n",
			"bot:[MASKED] decoded\n", "deploy password is [MASKED]\n", "job token is [MASKED]\n",
			"runner password is [MASKED]\n", "plain is visible\n",
		} {
			if !strings.Contains(text, w) {
				t.Errorf("%s lacks %q:\n%s", where, w, text)
			}
		}
	}
}

// TestRunDockerRunnerCredentials: gantry run --executor docker pulls a
// job's image from a registry that requires a login with the credentials
// in gantry's own environment (GitLab Runner's config-level
// DOCKER_AUTH_CONFIG), when the job's variables have none; the job's own
// still win; a DOCKER_AUTH_CONFIG that is not JSON stops the run before
// any job. No credential shows.
func TestRunDockerRunnerCredentials(t *testing.T) {
	testenv.Require(t, "docker")
	busybox := testenv.Image(t, "busybox")
	reg := registrytest.Start(t, registrytest.TrustedByDocker())
	private := reg.Push(t, busybox, "gantry-test/runner-creds:1")
	// No docker config file may log in: only what the test sets.
	t.Setenv("HOME", t.TempDir())
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	basic := base64.StdEncoding.EncodeToString([]byte(registrytest.User + ":" + registrytest.Password))
	authConfig := fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, reg.Host(), basic)
	dir := writeFiles(t, map[string]string{".gitlab-ci.yml": fmt.Sprintf(`pull:
  image:
    name: %s
    pull_policy: always
  script:
    - echo ran in the private image
`, private)})
	commitAll(t, dir, "main", "init")

	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
		says []string
	}{
		{name: "DOCKER_AUTH_CONFIG", env: map[string]string{"DOCKER_AUTH_CONFIG": authConfig}, code: ExitOK,
			says: []string{"ran in the private image"}},
		{name: "CI_REGISTRY", env: map[string]string{"CI_REGISTRY": reg.Host(), "CI_REGISTRY_USER": registrytest.User,
			"CI_REGISTRY_PASSWORD": registrytest.Password}, code: ExitOK, says: []string{"ran in the private image"}},
		{name: "none", code: ExitFailed, says: []string{"requires credentials and none were found"}},
		{name: "the job's variables win", env: map[string]string{"DOCKER_AUTH_CONFIG": authConfig},
			args: []string{"--variable", "CI_REGISTRY=" + reg.Host(), "--variable", "CI_REGISTRY_USER=" + registrytest.User,
				"--variable", "CI_REGISTRY_PASSWORD=not-the-password"},
			code: ExitFailed, says: []string{"refused the credentials from CI_REGISTRY_USER/CI_REGISTRY_PASSWORD"}},
		{name: "bad DOCKER_AUTH_CONFIG", env: map[string]string{"DOCKER_AUTH_CONFIG": `{"auths": {"x": {"auth": "` + basic + `"}`},
			code: ExitInvalid, says: []string{"docker executor: gantry's environment: DOCKER_AUTH_CONFIG is not a docker config.json document (hint:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, name := range []string{"DOCKER_AUTH_CONFIG", "CI_REGISTRY", "CI_REGISTRY_USER", "CI_REGISTRY_PASSWORD"} {
				t.Setenv(name, tt.env[name])
			}
			registrytest.Untag(t, private)
			before := gantryObjects(t)
			code, out, errOut, _ := gantryRun(t, dir, append([]string{"--executor", "docker"}, tt.args...)...)
			all := out + errOut
			if code != tt.code {
				t.Fatalf("exit code %d, want %d\n%s", code, tt.code, all)
			}
			for _, s := range tt.says {
				if !strings.Contains(all, s) {
					t.Errorf("output lacks %q:\n%s", s, all)
				}
			}
			for where, text := range gantryLogs(t, dir) {
				all += "\n" + where + ":\n" + text
			}
			for _, secret := range []string{registrytest.Password, basic, "not-the-password"} {
				if strings.Contains(all, secret) {
					t.Errorf("a credential shows:\n%s", all)
				}
			}
			assertNoLeftovers(t, before)
		})
	}
}
