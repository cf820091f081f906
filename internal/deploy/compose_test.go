package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gantry-ci/gantry/internal/gantryfile"
	"github.com/gantry-ci/gantry/internal/testenv"
)

func TestShellQuote(t *testing.T) {
	tests := map[string]string{
		"web":                  "web",
		"/srv/app":             "/srv/app",
		"reg:5000/a@sha256:ab": "reg:5000/a@sha256:ab",
		"":                     "''",
		"a b":                  "'a b'",
		"it's":                 `'it'\''s'`,
		"$(reboot)":            "'$(reboot)'",
	}
	for in, want := range tests {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
		// What the shell reads back is the input.
		out, err := exec.Command("sh", "-c", "printf %s "+shellQuote(in)).Output()
		if err != nil || string(out) != in {
			t.Errorf("sh reads %s back as %q (%v)", shellQuote(in), out, err)
		}
	}
}

func TestComposeCommands(t *testing.T) {
	c := compose{bin: "docker-compose", dir: "/srv/my app", project: composeProject("Demo.Prod"), files: []string{"docker-compose.yml", "prod.yml"},
		vars: map[string]string{"IMAGE": "reg/a@sha256:1", "WEB_PORT": "8000"}}
	tests := []struct{ name, got, want string }{
		{"pull", c.pull([]string{"web", "worker"}),
			`cd '/srv/my app' && IMAGE=reg/a@sha256:1 WEB_PORT=8000 docker-compose -p demoprod -f docker-compose.yml -f prod.yml pull -q web worker`},
		{"run", c.run("web", "python manage.py migrate --noinput"),
			`cd '/srv/my app' && IMAGE=reg/a@sha256:1 WEB_PORT=8000 docker-compose -p demoprod -f docker-compose.yml -f prod.yml run --rm -T web python manage.py migrate --noinput`},
		{"stop runs", c.stopRuns("web", "reg/a@sha256:1"),
			`ids=$(docker ps -aq --filter label=com.docker.compose.project=demoprod --filter label=com.docker.compose.service=web --filter label=com.docker.compose.oneoff=True --filter ancestor=reg/a@sha256:1); if [ -n "$ids" ]; then docker stop -t 3 $ids >/dev/null; docker rm -f $ids >/dev/null; fi`},
		{"roll", c.roll([]gantryfile.Service{{Name: "web"}, {Name: "worker"}}, "reg/a@sha256:1", nil),
			`cd '/srv/my app' && IMAGE=reg/a@sha256:1 WEB_PORT=8000 docker-compose -p demoprod -f docker-compose.yml -f prod.yml up -d web worker`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got\n  %s\nwant\n  %s", tt.got, tt.want)
			}
		})
	}
}

func TestComposeProject(t *testing.T) {
	tests := []struct{ in, want string }{
		{"demo-production", "demo-production"},
		{"Demo.Prod", "demoprod"},
		{"my.app-staging", "myapp-staging"},
		{"My_App-1", "my_app-1"},
		{"_x", "x"},
		{"-.x", "x"},
		{"gardel", "gardel"},
		{"...", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := composeProject(tt.in); got != tt.want {
				t.Errorf("composeProject(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// Both composes take the names composeProject makes as they are: v1 would
// have changed others itself, v2 refuses them.
func TestComposeProjectAcceptedByBothComposes(t *testing.T) {
	testenv.Require(t, "docker-compose")
	testenv.Require(t, testenv.ComposeV2)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "docker-compose.yml"), []byte("services:\n  web:\n    image: busybox\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Demo.Prod", "my.app-staging", "_x", "app-production"} {
		for _, bin := range []string{"docker-compose", "docker compose"} {
			t.Run(name+" with "+bin, func(t *testing.T) {
				p := composeProject(name)
				cmd := exec.Command("sh", "-c", bin+" -p "+shellQuote(p)+" -f docker-compose.yml config -q")
				cmd.Dir = dir
				cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+testenv.ComposeV2Dir())
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("%s -p %s: %v: %s", bin, p, err, out)
				}
			})
		}
	}
}

func TestComposeBin(t *testing.T) {
	tests := map[string]string{
		"docker compose\n": "docker compose",
		"docker-compose":   "docker-compose",
		"/root/.docker/cli-plugins/docker-compose\n":   "/root/.docker/cli-plugins/docker-compose",
		"/home/a b/.docker/cli-plugins/docker-compose": "'/home/a b/.docker/cli-plugins/docker-compose'",
	}
	for in, want := range tests {
		if got := composeBin(in); got != want {
			t.Errorf("composeBin(%q) = %s, want %s", in, got, want)
		}
	}
}

// composeDetect, run by the host's shell, with the v2 plugin found through
// the login's DOCKER_CONFIG or not there at all.
func TestComposeDetect(t *testing.T) {
	testenv.Require(t, "docker-compose")
	testenv.Require(t, testenv.ComposeV2)
	plugin, err := filepath.EvalSymlinks(testenv.ComposeV2Plugin())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		dockerConfig string
		pluginPath   bool
		want         string
	}{
		{"v2", testenv.ComposeV2Dir(), false, "docker compose"},
		{"v2 as its path", testenv.ComposeV2Dir(), true, plugin},
		{"v1 only", t.TempDir(), false, "docker-compose"},
		{"v1 only, path asked", t.TempDir(), true, "docker-compose"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command("sh", "-c", composeDetect(tt.pluginPath))
			cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+tt.dockerConfig)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("detect: %v", err)
			}
			if got := composeBin(string(out)); got != composeBin(tt.want) {
				t.Errorf("detected %s, want %s", got, composeBin(tt.want))
			}
		})
	}
	t.Run("the path runs standalone with another DOCKER_CONFIG", func(t *testing.T) {
		cmd := exec.Command(plugin, "version", "--short")
		cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+t.TempDir())
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.HasPrefix(string(out), "2.") {
			t.Errorf("%s version: %q, %v", plugin, out, err)
		}
	})
}

func TestSessionProject(t *testing.T) {
	tests := []struct {
		name, app, env, project, want string
	}{
		{"app-env", "demo", "production", "", "demo-production"},
		{"app-env as v2 takes it", "My.App", "Staging", "", "myapp-staging"},
		{"given", "demo", "production", "gardel", "gardel"},
		{"given, as v2 takes it", "demo", "production", "_Gardel.Prod", "gardelprod"},
		{"nothing left", "demo", "production", "...", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &session{d: &Deployer{Config: &Config{File: gantryfile.File{App: tt.app}}},
				e: &gantryfile.Environment{Name: tt.env, Project: tt.project}}
			if got := s.project(); got != tt.want {
				t.Errorf("project() = %q, want %q", got, tt.want)
			}
		})
	}
}
