package cli

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gantry-ci/gantry/internal/executor"
)

// namedBackend records nothing: Prepare fails with its own name, which is
// all the router test needs to see where a job went.
type namedBackend string

func (b namedBackend) Name() string { return string(b) }

func (b namedBackend) Prepare(context.Context, *executor.Job) (executor.Session, error) {
	return nil, errors.New(string(b))
}

func TestTagRouter(t *testing.T) {
	r := &tagRouter{def: namedBackend("docker"), routes: map[string]executor.Backend{
		"shell": namedBackend("shell"), "gpu": namedBackend("docker-gpu"),
	}}
	tests := []struct {
		name string
		tags []string
		want string
	}{
		{"no tags: the default", nil, "docker"},
		{"an unrouted tag: the default", []string{"linux"}, "docker"},
		{"a routed tag", []string{"shell"}, "shell"},
		{"the first routed tag wins", []string{"linux", "gpu", "shell"}, "docker-gpu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.Prepare(context.Background(), &executor.Job{Name: "j", Tags: tt.tags})
			if err == nil || err.Error() != tt.want {
				t.Errorf("went to %v, want %s", err, tt.want)
			}
		})
	}
	if r.Name() != "docker" {
		t.Errorf("Name() = %s, want the default's", r.Name())
	}
}

func TestParseTagExecutors(t *testing.T) {
	tests := []struct {
		name    string
		in      []string
		want    map[string]string
		wantErr string
	}{
		{"none", nil, map[string]string{}, ""},
		{"two", []string{"shell=shell", " deploy = shell"}, map[string]string{"shell": "shell", "deploy": "shell"}, ""},
		{"repeated alike", []string{"a=docker", "a=docker"}, map[string]string{"a": "docker"}, ""},
		{"no =", []string{"shell"}, nil, "want TAG=EXECUTOR"},
		{"no tag", []string{"=shell"}, nil, "want TAG=EXECUTOR"},
		{"unknown executor", []string{"x=k8s"}, nil, `executor "k8s": use shell or docker`},
		{"conflict", []string{"a=shell", "a=docker"}, nil, "routed to both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseTagExecutors(tt.in)
			if tt.wantErr != "" {
				var ee *exitError
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &ee) || ee.code != ExitInvalid {
					t.Fatalf("err %v, want %q with exit %d", err, tt.wantErr, ExitInvalid)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
