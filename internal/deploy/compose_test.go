package deploy

import (
	"os/exec"
	"testing"

	"github.com/gantry-ci/gantry/internal/gantryfile"
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
	c := compose{bin: "docker-compose", dir: "/srv/my app", project: "Demo.Prod", files: []string{"docker-compose.yml", "prod.yml"},
		vars: map[string]string{"IMAGE": "reg/a@sha256:1", "WEB_PORT": "8000"}}
	tests := []struct{ name, got, want string }{
		{"pull", c.pull([]string{"web", "worker"}),
			`cd '/srv/my app' && IMAGE=reg/a@sha256:1 WEB_PORT=8000 docker-compose -p Demo.Prod -f docker-compose.yml -f prod.yml pull -q web worker`},
		{"run", c.run("web", "python manage.py migrate --noinput"),
			`cd '/srv/my app' && IMAGE=reg/a@sha256:1 WEB_PORT=8000 docker-compose -p Demo.Prod -f docker-compose.yml -f prod.yml run --rm -T web python manage.py migrate --noinput`},
		{"roll", c.roll([]gantryfile.Service{{Name: "web"}, {Name: "beat", Strategy: gantryfile.StopFirst}}),
			`ids=$(docker ps -aq --filter label=com.docker.compose.project=demoprod --filter label=com.docker.compose.service=beat); if [ -n "$ids" ]; then docker stop $ids >/dev/null && docker rm $ids >/dev/null; fi && ` +
				`cd '/srv/my app' && IMAGE=reg/a@sha256:1 WEB_PORT=8000 docker-compose -p Demo.Prod -f docker-compose.yml -f prod.yml up -d web beat`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got\n  %s\nwant\n  %s", tt.got, tt.want)
			}
		})
	}
}
