package examplestest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.yaml.in/yaml/v3"

	"github.com/gantry-ci/gantry/internal/cli"
	"github.com/gantry-ci/gantry/internal/gantryfile"
	"github.com/gantry-ci/gantry/internal/testenv"
)

// gardelDir returns examples/gardel in this checkout.
func gardelDir(t *testing.T) string {
	t.Helper()
	root, err := testenv.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "examples", "gardel")
}

// gantry runs the command line in-process and returns its exit code and
// output.
func gantry(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = cli.Main(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestGardelLint(t *testing.T) {
	code, out, errOut := gantry(t, "lint", "-C", gardelDir(t))
	if code != cli.ExitOK {
		t.Fatalf("gantry lint: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, ".gitlab-ci.yml is valid") {
		t.Errorf("gantry lint said:\n%s", out)
	}
}

// listedJob is what the test reads of `gantry list --json`.
type listedJob struct {
	Name         string `json:"name"`
	Stage        string `json:"stage"`
	When         string `json:"when"`
	AllowFailure bool   `json:"allow_failure"`
}

func TestGardelList(t *testing.T) {
	ci := []listedJob{
		{"lint", "lint", "on_success", false},
		{"test", "test", "on_success", false},
	}
	build := listedJob{"build", "build", "on_success", false}
	tests := []struct {
		name string
		args []string
		want []listedJob
	}{
		{"develop deploys staging", []string{"--ref", "develop"},
			append(ci[:2:2], build, listedJob{"deploy_staging", "deploy", "on_success", false})},
		{"main waits for a hand on prod", []string{"--ref", "main"},
			append(ci[:2:2], build, listedJob{"deploy_prod", "deploy", "manual", true})},
		{"feature branch: CI only", []string{"--ref", "feature/etl-retries"}, ci},
		// Jobs without rules: run in branch pipelines only, as in GitLab.
		{"merge request pipeline: none", []string{"--ref", "feature/etl-retries", "--source", "merge_request_event"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"list", "-C", gardelDir(t), "--json"}, tt.args...)
			code, out, errOut := gantry(t, args...)
			if code != cli.ExitOK {
				t.Fatalf("gantry %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
			}
			var got struct{ Jobs []listedJob }
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("gantry list --json: %v\n%s", err, out)
			}
			if diff := cmp.Diff(tt.want, got.Jobs, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("jobs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGardelDeployConfig(t *testing.T) {
	dir := gardelDir(t)
	c, err := gantryfile.Load(filepath.Join(dir, "gantry.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"staging", "production"}, c.EnvNames()); diff != "" {
		t.Fatalf("environments (-want +got):\n%s", diff)
	}
	// What the guide asks of every environment: the compose file of the
	// example, web/worker/beat rolled (beat never twice), migrate and
	// collectstatic before the switch, both health endpoints checked.
	type envShape struct {
		Protected bool
		Compose   []string
		Services  []string
		BeatFirst bool
		Release   []string
		Health    []string
	}
	want := map[string]envShape{
		"staging":    {false, []string{"docker-compose.prod.yml"}, []string{"web", "worker", "beat"}, true, nil, nil},
		"production": {true, []string{"docker-compose.prod.yml"}, []string{"web", "worker", "beat"}, true, nil, nil},
	}
	for name, w := range want {
		w.Release = []string{"python manage.py migrate --noinput", "python manage.py collectstatic --noinput"}
		w.Health = []string{"http://127.0.0.1:8000/healthz", "http://127.0.0.1:8000/readiness"}
		want[name] = w
	}
	got := map[string]envShape{}
	for _, e := range c.Environments {
		s := envShape{Protected: e.Protected, Compose: e.Compose, Release: e.Release.Commands}
		for _, svc := range e.Services {
			s.Services = append(s.Services, svc.Name)
			if svc.Name == "beat" {
				s.BeatFirst = svc.Strategy == gantryfile.StopFirst
			}
		}
		for _, h := range e.Health {
			s.Health = append(s.Health, h.URL)
			if !h.ViaSSH {
				t.Errorf("%s: health check %s is not asked from the host (via: ssh)", e.Name, h.URL)
			}
		}
		got[e.Name] = s
		for _, f := range e.Compose {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Errorf("%s: compose file: %v", e.Name, err)
			}
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("environments (-want +got):\n%s", diff)
	}
}

// TestGardelComposeFile checks docker-compose.prod.yml's shape: the
// guide's five services, web/worker/beat on the one image tagged
// ${IMAGE_TAG}, and the compose v1 file version Debian's docker-compose
// needs.
func TestGardelComposeFile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(gardelDir(t), "docker-compose.prod.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Version  string
		Services map[string]struct {
			Image   string
			Command any
			EnvFile any `yaml:"env_file"`
		}
	}
	if err := yaml.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(f.Version, "3.") {
		t.Errorf("version %q: docker-compose v1 needs a 3.x version to read services:", f.Version)
	}
	var names []string
	for name := range f.Services {
		names = append(names, name)
	}
	if diff := cmp.Diff([]string{"beat", "db", "redis", "web", "worker"}, names, cmpSorted); diff != "" {
		t.Errorf("services (-want +got):\n%s", diff)
	}
	app := f.Services["web"].Image
	if !strings.Contains(app, "${IMAGE_TAG") {
		t.Errorf("web image %q does not use ${IMAGE_TAG}", app)
	}
	for _, name := range []string{"web", "worker", "beat"} {
		s := f.Services[name]
		if s.Image != app {
			t.Errorf("%s runs %q, web %q: one image for all three", name, s.Image, app)
		}
		if s.EnvFile != ".env.prod" || s.Command == nil {
			t.Errorf("%s: env_file %v, command %v", name, s.EnvFile, s.Command)
		}
	}
}
