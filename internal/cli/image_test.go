package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	dimage "github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/gantry-ci/gantry/internal/image"
	"github.com/gantry-ci/gantry/internal/registrytest"
	"github.com/gantry-ci/gantry/internal/testenv"
)

// registryEnv gives the process the variables a GitLab job has for reg.
func registryEnv(t *testing.T, reg *registrytest.Registry, repo, sha string) {
	t.Helper()
	t.Setenv("CI_REGISTRY", reg.Host())
	t.Setenv("CI_REGISTRY_IMAGE", reg.Host()+"/"+repo)
	t.Setenv("CI_REGISTRY_USER", registrytest.User)
	t.Setenv("CI_REGISTRY_PASSWORD", registrytest.Password)
	t.Setenv("CI_COMMIT_SHA", sha)
	t.Setenv("CI_PROJECT_URL", "https://gitlab.example.com/"+repo)
	t.Setenv("DOCKER_AUTH_CONFIG", "")
}

func removeImage(t *testing.T, refs ...string) {
	t.Helper()
	c, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, r := range refs {
			// Cleanup of what the test made; one already gone is fine.
			_, _ = c.ImageRemove(context.Background(), r, dimage.RemoveOptions{})
		}
		c.Close()
	})
}

// TestImageCommands runs build, push, promote and inspect as a job would,
// with the pipeline's variables, and checks that the registry password
// never shows even when the build prints it.
func TestImageCommands(t *testing.T) {
	testenv.Image(t, "busybox")
	reg := registrytest.Start(t)
	const sha = "fedcba9876543210fedcba9876543210fedcba98"
	registryEnv(t, reg, "gardel/backend", sha)
	root, err := testenv.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	tag := reg.Host() + "/gardel/backend:" + sha
	removeImage(t, tag)
	ca := "--ca-file=" + reg.CAFile()

	code, out, errOut := run(t, "image", "build", "--context", filepath.Join(root, "testdata", "image"),
		"--no-cache", "--build-arg", "GREETING="+registrytest.Password, ca)
	if code != 0 {
		t.Fatalf("build: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "[MASKED] from the build") || !strings.Contains(out, tag) {
		t.Errorf("build output lacks the masked RUN output or the default tag:\n%s", out)
	}

	code, out, errOut = run(t, "image", "push", ca, "--json")
	if code != 0 {
		t.Fatalf("push: exit %d\n%s%s", code, out, errOut)
	}
	var pushed []image.Pushed
	if err := json.Unmarshal([]byte(out), &pushed); err != nil || len(pushed) != 1 || pushed[0].Ref != tag {
		t.Fatalf("push --json: %v %q", err, out)
	}
	digest := pushed[0].Digest

	code, out, errOut = run(t, "image", "promote", tag, "prod", ca)
	if code != 0 || strings.TrimSpace(out) != digest {
		t.Fatalf("promote: exit %d, stdout %q (want the digest %s)\n%s", code, out, digest, errOut)
	}

	code, out, errOut = run(t, "image", "inspect", reg.Host()+"/gardel/backend:prod", "--json", ca)
	if code != 0 {
		t.Fatalf("inspect: exit %d\n%s%s", code, out, errOut)
	}
	var info image.Info
	if err := json.Unmarshal([]byte(out), &info); err != nil || info.Digest != digest || info.Revision != sha ||
		info.Source != "https://gitlab.example.com/gardel/backend" {
		t.Errorf("inspect: %v %+v", err, info)
	}

	t.Run("errors", func(t *testing.T) {
		tests := []struct {
			name string
			args []string
			env  map[string]string
			code int
			says string
		}{
			{"missing source", []string{"image", "promote", reg.Host() + "/gardel/backend:nope", "prod", ca}, nil, ExitFailed, "not found"},
			{"wrong password", []string{"image", "inspect", tag, ca}, map[string]string{"CI_REGISTRY_PASSWORD": "wrong-" + registrytest.Password}, ExitFailed, "unauthorized"},
			{"untrusted CA", []string{"image", "inspect", tag}, nil, ExitFailed, "--ca-file"},
			{"no default tag", []string{"image", "push"}, map[string]string{"CI_REGISTRY_IMAGE": ""}, ExitInvalid, "CI_REGISTRY_IMAGE"},
			{"bad builder", []string{"image", "build", "--builder", "kaniko"}, nil, ExitInvalid, "--builder"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				for k, v := range tt.env {
					t.Setenv(k, v)
				}
				code, out, errOut := run(t, tt.args...)
				if code != tt.code || !strings.Contains(errOut, tt.says) {
					t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errOut, tt.code, tt.says)
				}
				if strings.Contains(out+errOut, registrytest.Password) {
					t.Errorf("output shows the password:\n%s%s", out, errOut)
				}
			})
		}
	})
}

// TestImagePipeline runs testdata/image's pipeline with `gantry run`: its
// build job builds and pushes $CI_REGISTRY_IMAGE:$CI_COMMIT_SHA with the
// gantry binary, as the guide's build job does with docker.
func TestImagePipeline(t *testing.T) {
	testenv.Require(t, "git")
	testenv.Image(t, "busybox")
	reg := registrytest.Start(t)
	root, err := testenv.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	// The build job runs the gantry binary.
	t.Setenv("PATH", filepath.Dir(gantryBinary(t))+string(os.PathListSeparator)+os.Getenv("PATH"))
	// The job's gantry trusts the test registry's CA as its only root.
	t.Setenv("SSL_CERT_FILE", reg.CAFile())

	files := map[string]string{}
	for _, n := range []string{"Dockerfile", ".dockerignore", "README.md", "app/run.sh"} {
		b, err := os.ReadFile(filepath.Join(root, "testdata", "image", n))
		if err != nil {
			t.Fatal(err)
		}
		files[n] = string(b)
	}
	src, err := os.ReadFile(filepath.Join(root, "testdata", "image", ".gitlab-ci.yml"))
	if err != nil {
		t.Fatal(err)
	}
	files[".gitlab-ci.yml"] = string(src)
	dir := writeFiles(t, files)
	sha := commitAll(t, dir, "main", "init")
	repo := reg.Host() + "/gardel/backend"
	removeImage(t, repo+":"+sha)

	code, out, errOut := run(t, "run", "-C", dir,
		"--variable", "CI_REGISTRY="+reg.Host(),
		"--variable", "CI_REGISTRY_IMAGE="+repo,
		"--variable", "CI_REGISTRY_USER="+registrytest.User,
		"--secret", "CI_REGISTRY_PASSWORD="+registrytest.Password)
	if code != 0 {
		t.Fatalf("gantry run: exit %d\n%s\n%s", code, out, errOut)
	}
	all := out + errOut
	for _, want := range []string{"Built sha256:", "pushed sha256:", "Revision:   " + sha} {
		if !strings.Contains(all, want) {
			t.Errorf("run output lacks %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, registrytest.Password) {
		t.Errorf("run output shows the password")
	}
	info, err := image.Inspect(context.Background(), repo+":"+sha,
		image.WithTransport(reg.Transport()),
		image.WithCredentials(image.Credentials{Registry: reg.Host(), Username: registrytest.User, Password: registrytest.Password}))
	if err != nil {
		t.Fatal(err)
	}
	if info.Revision != sha {
		t.Errorf("pushed image's revision label %q, want %s", info.Revision, sha)
	}
}
