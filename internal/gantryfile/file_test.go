package gantryfile

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/pipeline"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const fullConfig = `app: gardel
image: registry.example.com/gardel-backend
keep: 3
ssh:
  known_hosts: ~/.ssh/known_hosts
notify:
  slack: https://hooks.slack.com/services/T/B/X
  webhook: [http://127.0.0.1:9000/hook]
  email:
    server: smtp.example.com:587
    from: gantry@example.com
    to: ops@example.com
hooks:
  pre_deploy: ./check.sh
environments:
  staging: &common
    hosts: deploy@staging.example.com
    compose: docker-compose.prod.yml
    env_file: .env.prod
    services:
      - web
      - worker
      - {name: beat, strategy: stop-first}
    release:
      commands:
        - python manage.py migrate --noinput
        - python manage.py collectstatic --noinput
    health:
      - http://127.0.0.1:8000/healthz
  production:
    <<: *common
    hosts: [deploy@a.example.com:2222, b.example.com]
    path: /srv/gardel
    protected: true
    health:
      - url: https://gardel.example.com/healthz
        json: {field: version, equals: $GANTRY_TAG}
        host: gardel.example.com
        via: ssh
        deadline: 2m
    observe: {samples: 5, interval: 2s, max_failures: 1}
`

func TestParseFullConfig(t *testing.T) {
	c, err := Parse("gantry.yml", []byte(fullConfig))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	prod := c.Env("production")
	if prod == nil {
		t.Fatal("no production")
	}
	want := &Environment{
		Name:      "production",
		Hosts:     []Host{{Raw: "deploy@a.example.com:2222", User: "deploy", Addr: "a.example.com:2222"}, {Raw: "b.example.com", Addr: "b.example.com:22"}},
		Path:      "/srv/gardel",
		Compose:   []string{"docker-compose.prod.yml"},
		EnvFile:   ".env.prod",
		Protected: true,
		Services:  []Service{{Name: "web"}, {Name: "worker"}, {Name: "beat", Strategy: StopFirst}},
		Release:   ReleaseCommands{Service: "web", Commands: []string{"python manage.py migrate --noinput", "python manage.py collectstatic --noinput"}},
		Health: []HealthCheck{{URL: "https://gardel.example.com/healthz", Status: 200, JSONField: "version", JSONValue: "$GANTRY_TAG",
			Host: "gardel.example.com", ViaSSH: true, Interval: time.Second, Timeout: 5 * time.Second, Deadline: 2 * time.Minute}},
		Observe: Observe{Samples: 5, Interval: 2 * time.Second, MaxFailures: 1},
	}
	ignorePos := cmpopts.IgnoreTypes(pipeline.Pos{})
	if diff := cmp.Diff(want, prod, ignorePos); diff != "" {
		t.Errorf("production (-want +got):\n%s", diff)
	}
	if got := c.Env("staging").Path; got != DefaultPath {
		t.Errorf("staging path = %q, want the default", got)
	}
	if c.Keep != 3 || len(c.Notify.Slack) != 1 || c.Notify.Email == nil || c.Notify.Email.To[0] != "ops@example.com" {
		t.Errorf("top level decoded wrong: %+v", c)
	}
	if c.Env("staging").Health[0].URL != "http://127.0.0.1:8000/healthz" {
		t.Errorf("scalar health check: %+v", c.Env("staging").Health)
	}
}

func TestParseErrorsHavePositions(t *testing.T) {
	base := "app: a\nimage: r.example.com/a\nenvironments:\n  prod:\n    hosts: [u@h]\n    services: [web]\n"
	tests := []struct {
		name, src, want string
	}{
		{"empty", "", "gantry.yml: file is empty"},
		{"not yaml", "app: [", "gantry.yml:1:1: did not find expected node content"},
		{"missing app", "image: r/a\nenvironments: {p: {hosts: h, services: [w]}}\n", "gantry.yml:1:1: app is missing (add app: <name>)"},
		{"unknown key", base + "    helth: []\n", `gantry.yml:7:5: environment prod: unknown key "helth" (did you mean "health"?)`},
		{"bad port", strings.Replace(base, "u@h", "u@h:99999", 1), `gantry.yml:5:13: prod: hosts: port "99999" is not a number from 1 to 65535`},
		{"no hosts", strings.Replace(base, "    hosts: [u@h]\n", "", 1), "gantry.yml:4:3: environment prod has no hosts"},
		{"bad strategy", strings.Replace(base, "[web]", "[{name: beat, strategy: blue-green}]", 1), `gantry.yml:6:39: prod: services: unknown strategy "blue-green" (use recreate or stop-first)`},
		{"bad duration", base + "    health: [{url: http://x/healthz, deadline: soon}]\n", `gantry.yml:7:48: prod: health: deadline: "soon" is not a positive duration`},
		{"bad status", base + "    health: [{url: http://x/, status: 42}]\n", "gantry.yml:7:39: prod: health: status must be between 100 and 599, not 42"},
		{"bad url", base + "    health: [ftp://x/]\n", `gantry.yml:7:14: prod: health: url: "ftp://x/" is not an http(s) URL`},
		{"relative path", base + "    path: srv/a\n", `gantry.yml:7:11: prod: path: "srv/a" is not absolute`},
		{"tagged image", strings.Replace(base, "r.example.com/a", "r.example.com/a:latest", 1), "gantry.yml:2:8: image \"r.example.com/a:latest\" has a tag or digest"},
		{"duplicate service", strings.Replace(base, "[web]", "[web, web]", 1), "gantry.yml:6:21: prod: services: web appears twice"},
		{"bad notify", base + "notify: {on: [always]}\n", `gantry.yml:7:14: notify: on: unknown result "always"`},
		{"env_file variable", base + "    env_file: $PROD_ENV\n", `gantry.yml:7:15: prod: env_file "$PROD_ENV" holds a variable, so its name on the host is unknown (write env_file: {from: $PROD_ENV, as: .env.prod})`},
		{"env_file as path", base + "    env_file: {from: $PROD_ENV, as: conf/.env}\n", `prod: env_file: as must be a plain file name`},
		{"incomplete email", base + "notify: {email: {server: 'h:25'}}\n", "gantry.yml:7:17: notify: email is incomplete"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantParseError(t, tt.src, tt.want) })
	}
}

func TestParseHost(t *testing.T) {
	tests := []struct {
		in   string
		want Host
		bad  bool
	}{
		{in: "deploy@h.example.com", want: Host{User: "deploy", Addr: "h.example.com:22"}},
		{in: "h:2222", want: Host{Addr: "h:2222"}},
		{in: "root@[::1]:22", want: Host{User: "root", Addr: "[::1]:22"}},
		{in: "@h", bad: true},
		{in: "u@h:x", bad: true},
		{in: "u@", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, msg := ParseHost(tt.in)
			if tt.bad != (msg != "") {
				t.Fatalf("ParseHost(%q) msg = %q", tt.in, msg)
			}
			if !tt.bad && got != tt.want {
				t.Errorf("ParseHost(%q) = %+v, want %+v", tt.in, got, tt.want)
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

func FuzzParse(f *testing.F) {
	f.Add([]byte(fullConfig))
	f.Add([]byte("app: a\nimage: r/a\nenvironments:\n  p:\n    hosts: u@h\n    services: [w]\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("environments: {p: {<<: [{hosts: h}], services: [{name: b}]}}"))
	f.Add([]byte("coverage: {minimum: 80%, paths: {'src/**': 90.5, '{a,b}/*.py': 0}, jobs: [test]}\n"))
	f.Add([]byte("coverage:\n  paths: {'[': 1}\napp: a\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		c, err := Parse("f.yml", src)
		if err == nil && c.Coverage == nil && !c.HasDeploy() {
			t.Fatalf("accepted a file that declares nothing")
		}
		if err == nil && (c.App != "" || c.Image != "") && !c.HasDeploy() {
			t.Fatalf("accepted a deploy section without app or environments")
		}
		if err == nil && c.Coverage != nil {
			checkCoverage(t, c.Coverage)
		}
		for _, e := range Errors(err) {
			if e.Pos.File != "f.yml" {
				t.Fatalf("error without file: %v", e)
			}
		}
	})
}

// TestDocExampleParses keeps the gantry.yml reference in doc.go valid.
func TestDocExampleParses(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var yml strings.Builder
	for _, line := range strings.Split(string(src), "\n") {
		if rest, ok := strings.CutPrefix(line, "//\t"); ok {
			yml.WriteString(rest + "\n")
		}
	}
	c, err := Parse("doc.go", []byte(yml.String()))
	if err != nil {
		t.Fatalf("the example in doc.go: %v\n%s", err, yml.String())
	}
	if e := c.Env("production"); e == nil || len(e.Hosts) != 2 || len(e.Health) != 2 || !e.Health[1].ViaSSH || c.Notify.Email == nil {
		t.Errorf("decoded %+v", c)
	}
}

func TestEnvFileFromAs(t *testing.T) {
	src := "app: a\nimage: r.example.com/a\nenvironments:\n  prod:\n    hosts: [u@h]\n    services: [web]\n    env_file: {from: $PROD_ENV, as: .env.prod}\n"
	f, err := Parse("gantry.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	e := f.Environments[0]
	if e.EnvFile != "$PROD_ENV" || e.EnvFileAs != ".env.prod" {
		t.Errorf("env file %q as %q", e.EnvFile, e.EnvFileAs)
	}
}

// wantParseError checks that src fails to parse with an error containing
// want.
func wantParseError(t *testing.T, src, want string) {
	t.Helper()
	_, err := Parse("gantry.yml", []byte(src))
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error:\n  %v\nwant it to contain:\n  %s", err, want)
	}
}
