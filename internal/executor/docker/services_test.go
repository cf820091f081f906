package docker

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/google/go-cmp/cmp"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"

	"github.com/gantry-ci/gantry/internal/executor"
	"github.com/gantry-ci/gantry/internal/testenv"
)

// listener is a busybox service serving "pong from <alias>" over HTTP on port.
func listener(img, alias string, port int) executor.Service {
	p := strconv.Itoa(port)
	return executor.Service{
		Image:   executor.Image{Name: img},
		Aliases: []string{alias},
		Command: []string{"sh", "-c", "mkdir -p /www && echo \"pong from $WHO\" > /www/index.html && exec httpd -f -p " + p + " -h /www"},
		Variables: []executor.Variable{
			{Name: "WHO", Value: alias},
			{Name: HealthcheckPortVariable, Value: p},
		},
	}
}

func TestAliases(t *testing.T) {
	tests := []struct {
		name string
		svc  executor.Service
		want []string
	}{
		{"tag stripped", executor.Service{Image: executor.Image{Name: "postgres:16"}}, []string{"postgres"}},
		{"no tag", executor.Service{Image: executor.Image{Name: "redis"}}, []string{"redis"}},
		{"registry and group", executor.Service{Image: executor.Image{Name: "registry.example.com/group/redis:7"}},
			[]string{"registry.example.com__group__redis", "registry.example.com-group-redis"}},
		{"registry port", executor.Service{Image: executor.Image{Name: "registry.gitlab-wp.com:4999/tutum/wordpress:latest"}},
			[]string{"registry.gitlab-wp.com__tutum__wordpress", "registry.gitlab-wp.com-tutum-wordpress"}},
		{"digest", executor.Service{Image: executor.Image{Name: "tutum/wordpress@sha256:0123abcd"}},
			[]string{"tutum__wordpress", "tutum-wordpress"}},
		{"explicit alias", executor.Service{Image: executor.Image{Name: "postgres:16"}, Aliases: []string{"db"}},
			[]string{"postgres", "db"}},
		{"several aliases", executor.Service{Image: executor.Image{Name: "redis:7"}, Aliases: []string{"cache,queue broker", "redis"}},
			[]string{"redis", "cache", "queue", "broker"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Aliases(tt.svc)); diff != "" {
				t.Errorf("Aliases(%q) (-want +got):\n%s", tt.svc.Name, diff)
			}
		})
	}
}

func TestServicePorts(t *testing.T) {
	img := image.InspectResponse{Config: &dockerspec.DockerOCIImageConfig{}}
	img.Config.ExposedPorts = map[string]struct{}{"6379/tcp": {}, "5432/tcp": {}, "53/udp": {}}
	tests := []struct {
		name    string
		vars    []executor.Variable
		want    []int
		wantErr bool
	}{
		{"exposed tcp ports, sorted", nil, []int{5432, 6379}, false},
		{"healthcheck port wins", vars(HealthcheckPortVariable, "8080"), []int{8080}, false},
		{"bad healthcheck port", vars(HealthcheckPortVariable, "http"), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := servicePorts(executor.Service{Image: executor.Image{Name: "x"}, Variables: tt.vars}, img)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ports (-want +got):\n%s", diff)
			}
		})
	}
}

func TestServiceEnv(t *testing.T) {
	job := &executor.Job{Env: []executor.Variable{
		{Name: "CI_JOB_NAME", Value: "test"},
		{Name: "POSTGRES_DB", Value: "from-job"},
		{Name: "KEY_FILE", Value: "secret", File: true},
	}}
	svc := executor.Service{Variables: vars("POSTGRES_DB", "from-service", "EXTRA", "1")}
	want := []string{"CI_JOB_NAME=test", "POSTGRES_DB=from-service", "EXTRA=1"}
	if diff := cmp.Diff(want, serviceEnv(job, svc)); diff != "" {
		t.Errorf("serviceEnv (-want +got):\n%s", diff)
	}
}

func TestProjectPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", DefaultProjectPath},
		{"group/project", "group/project"},
		{"/abs/x", "abs/x"},
		{"../../etc", "etc"},
		{"/", DefaultProjectPath},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := projectPath(vars("CI_PROJECT_PATH", tt.in)); got != tt.want {
				t.Errorf("projectPath(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestServicesReachableByAlias(t *testing.T) {
	img := testenv.Image(t, "busybox")
	b := newBackend(t, Config{})
	tests := []struct {
		name     string
		services []executor.Service
		commands []string
		out      []string
		log      string
	}{
		{"explicit aliases", []executor.Service{listener(img, "web", 8080), listener(img, "api,backend", 9090)},
			[]string{"wget -qO- http://web:8080/", "wget -qO- http://api:9090/", "wget -qO- http://backend:9090/"},
			[]string{"pong from web", "pong from api,backend"},
			"Starting service " + img + " as gantry-test__busybox, gantry-test-busybox, api, backend"},
		{"aliases from the image name", []executor.Service{listener(img, "web", 8080)},
			[]string{"wget -qO- http://gantry-test__busybox:8080/", "wget -qO- http://gantry-test-busybox:8080/"},
			[]string{"pong from web"},
			"Starting service " + img + " as gantry-test__busybox, gantry-test-busybox, web"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job, log := newJob(t, b, img)
			job.Services = tt.services
			code, out := runJob(t, b, job, tt.commands...)
			if code != 0 {
				t.Fatalf("code %d:\n%s\nlog:\n%s", code, out, log.String())
			}
			mustContain(t, "output", out, tt.out...)
			mustContain(t, "job log", log.String(), tt.log)
		})
	}
}

func TestServiceFailures(t *testing.T) {
	img := testenv.Image(t, "busybox")
	const wait = 2 * time.Second
	b := newBackend(t, Config{ServiceWait: wait})
	// The bound only tells a wait that gives up from one that hangs (the
	// bad service sleeps 300 s); the error text says which limit fired.
	// Starting two containers takes seconds on a loaded 2-core machine.
	const max = wait + 10*time.Second
	tests := []struct {
		name    string
		command string
		err     string
		log     string
	}{
		{"never opens its port", "echo starting slowly; exec sleep 300",
			"did not accept connections on port 5555/tcp within 2s", "starting slowly"},
		{"exits", "echo cannot start: bad config; exit 3",
			"exited with code 3 before port 5555/tcp accepted connections", "cannot start: bad config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job, log := newJob(t, b, img)
			job.Services = []executor.Service{
				listener(img, "good", 8080),
				{Image: executor.Image{Name: img}, Aliases: []string{"bad"}, Command: []string{"sh", "-c", tt.command},
					Variables: vars(HealthcheckPortVariable, "5555")},
			}
			start := time.Now()
			s, err := b.Prepare(context.Background(), job)
			took := time.Since(start)
			if err == nil {
				s.Cleanup(context.Background())
				t.Fatal("Prepare succeeded")
			}
			mustContain(t, "error", err.Error(), "service "+img+" (bad)", tt.err)
			mustContain(t, "job log", log.String(), "Last lines of the log of service "+img, tt.log)
			if took > max {
				t.Errorf("Prepare took %s, want at most %s", took, max)
			}
		})
	}
}

func TestMissingImage(t *testing.T) {
	testenv.Require(t, "docker")
	b := newBackend(t, Config{})
	tests := []struct {
		name     string
		service  bool
		policies []string
	}{
		{"job, pull_policy never", false, []string{PullNever}},
		{"service, pull_policy never", true, []string{PullNever}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const missing = "gantry-test/no-such-image:1"
			job, _ := newJob(t, b, missing)
			job.Image.PullPolicy = tt.policies
			want := "image " + missing + " for job " + job.Name
			if tt.service {
				job.Image = &executor.Image{Name: testenv.Image(t, "busybox")}
				job.Services = []executor.Service{{Image: executor.Image{Name: missing, PullPolicy: tt.policies}}}
				want = "image " + missing + " for service " + missing + " of job " + job.Name
			}
			start := time.Now()
			_, err := b.Prepare(context.Background(), job)
			if took := time.Since(start); took > time.Second {
				t.Errorf("Prepare took %s, want under a second", took)
			}
			if !errors.Is(err, ErrImageNotFound) {
				t.Fatalf("Prepare error = %v, want ErrImageNotFound", err)
			}
			mustContain(t, "error", err.Error(), want, "pull_policy is never")
		})
	}
}

func TestUnknownPullPolicy(t *testing.T) {
	img := testenv.Image(t, "busybox")
	b := newBackend(t, Config{})
	job, _ := newJob(t, b, img)
	job.Image.PullPolicy = []string{"sometimes"}
	_, err := b.Prepare(context.Background(), job)
	if err == nil || !strings.Contains(err.Error(), `unknown pull_policy "sometimes"`) {
		t.Errorf("Prepare error = %v", err)
	}
}

func TestCancelWhileWaitingForServices(t *testing.T) {
	img := testenv.Image(t, "busybox")
	b := newBackend(t, Config{ServiceWait: time.Minute})
	job, _ := newJob(t, b, img)
	job.Services = []executor.Service{{Image: executor.Image{Name: img}, Command: []string{"sleep", "600"},
		Variables: vars(HealthcheckPortVariable, "5432")}}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(time.Second, cancel)
	start := time.Now()
	_, err := b.Prepare(ctx, job)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Prepare error = %v, want context.Canceled", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Prepare took %s after the cancel", took)
	}
	// newJob's cleanup checks that the service and the network are gone.
}
