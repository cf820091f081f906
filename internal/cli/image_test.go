package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	dimage "github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/gantry-ci/gantry/internal/image"
	"github.com/gantry-ci/gantry/internal/registrytest"
	"github.com/gantry-ci/gantry/internal/testenv"
)

// gantry runs gantry in-process and returns its exit code and streams.
func gantry(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

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

	code, out, errOut := gantry(t, "image", "build", "--context", filepath.Join(root, "testdata", "image"),
		"--no-cache", "--build-arg", "GREETING="+registrytest.Password, ca)
	if code != 0 {
		t.Fatalf("build: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "[MASKED] from the build") || !strings.Contains(out, tag) {
		t.Errorf("build output lacks the masked RUN output or the default tag:\n%s", out)
	}

	code, out, errOut = gantry(t, "image", "push", ca, "--json")
	if code != 0 {
		t.Fatalf("push: exit %d\n%s%s", code, out, errOut)
	}
	var pushed []image.Pushed
	if err := json.Unmarshal([]byte(out), &pushed); err != nil || len(pushed) != 1 || pushed[0].Ref != tag {
		t.Fatalf("push --json: %v %q", err, out)
	}
	digest := pushed[0].Digest

	code, out, errOut = gantry(t, "image", "promote", tag, "prod", ca)
	if code != 0 || strings.TrimSpace(out) != digest {
		t.Fatalf("promote: exit %d, stdout %q (want the digest %s)\n%s", code, out, digest, errOut)
	}

	code, out, errOut = gantry(t, "image", "inspect", reg.Host()+"/gardel/backend:prod", "--json", ca)
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
				code, out, errOut := gantry(t, tt.args...)
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
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "gantry"), "./cmd/gantry")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
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
	dir := t.TempDir()
	files[".gitlab-ci.yml"] = string(src)
	for n, content := range files {
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	git := func(args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=T", "GIT_AUTHOR_EMAIL=t@example.com",
			"GIT_COMMITTER_NAME=T", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q", "-b", "main")
	git("add", "-A")
	git("commit", "-q", "-m", "init")
	sha := git("rev-parse", "HEAD")
	repo := reg.Host() + "/gardel/backend"
	removeImage(t, repo+":"+sha)

	code, out, errOut := gantry(t, "run", "-C", dir,
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
