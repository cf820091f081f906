package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/gantry-ci/gantry/internal/gantryfile"
)

func TestOnHost(t *testing.T) {
	h := gantryfile.Host{User: "deploy", Addr: "10.0.0.2:22"}
	exit := &ExitError{Host: h.String(), Code: 1, Stderr: "no space left"}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"plain", errors.New("unhealthy"), "deploy@10.0.0.2:22: unhealthy"},
		{"exit error names it", exit, "deploy@10.0.0.2:22: exit status 1: no space left"},
		{"ssh error names it", fmt.Errorf("ssh %s: session: EOF", h), "ssh deploy@10.0.0.2:22: session: EOF"},
		{"another host's", &ExitError{Host: "deploy@10.0.0.3:22", Code: 2}, "deploy@10.0.0.2:22: deploy@10.0.0.3:22: exit status 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := onHost(h, tt.err)
			if got.Error() != tt.want {
				t.Errorf("onHost = %q, want %q", got, tt.want)
			}
			if !errors.Is(got, tt.err) {
				t.Error("the cause is lost")
			}
		})
	}
}

func TestThrough(t *testing.T) {
	hosts := []gantryfile.Host{{Addr: "a:22"}, {Addr: "b:22"}}
	checks := []gantryfile.HealthCheck{{URL: "http://lb/healthz"}, {URL: "http://127.0.0.1:8080/healthz", ViaSSH: true}}
	targets := newTargets(checks, []Remote{stubRemote{}, stubRemote{}}, hosts)
	for i, h := range hosts {
		got := through(targets, i)
		if len(got) != 1 || got[0].via != h.String() {
			t.Errorf("through host %d = %+v, want the via-ssh check through %s", i, got, h)
		}
	}
	if got := through(targets, -1); len(got) != 1 || got[0].via != "local" {
		t.Errorf("local targets = %+v", got)
	}
}

// stubRemote is a Remote that runs nothing.
type stubRemote struct{}

func (stubRemote) Run(context.Context, string, io.Reader, io.Writer, io.Writer) error {
	return errors.New("stub")
}

func (stubRemote) DialContext(context.Context, string, string) (net.Conn, error) {
	return nil, errors.New("stub")
}

func (stubRemote) Close() error { return nil }
