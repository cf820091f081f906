package deploy

import (
	"os/exec"
	"testing"
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
		{"roll", c.roll([]Service{{Name: "web"}, {Name: "beat", Strategy: StopFirst}}),
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

func FuzzParseHost(f *testing.F) {
	for _, s := range []string{"deploy@h.example.com", "h:2222", "root@[::1]:22", "@h", "u@h:x", "::1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, msg := ParseHost(s)
		if msg != "" {
			return
		}
		// An accepted host formats back to something ParseHost accepts alike.
		h2, msg2 := ParseHost(h.String())
		if msg2 != "" || h2.Addr != h.Addr || h2.User != h.User {
			t.Fatalf("ParseHost(%q) = %+v, but its String %q reads back as %+v (%s)", s, h, h.String(), h2, msg2)
		}
	})
}
