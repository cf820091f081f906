package deploy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gantry-ci/gantry/internal/gantryfile"
	"github.com/google/go-cmp/cmp"
)

// fakeDocker is what the roll command's docker and docker-compose do in
// TestRollStopFirst, driven by files in $FAKE: images (one reference a
// line) are present, ps-SERVICE lists a service's containers, img-ID is
// the image a container runs, fail-up lists the images `up` fails for.
// Every change is logged to $FAKE/log.
const fakeDocker = `#!/bin/sh
f=$FAKE
case "$(basename "$0") $1 $2" in
"docker image inspect") grep -qxF "$3" "$f/images" ;;
"docker ps "*) for a; do case "$a" in label=com.docker.compose.service=*) cat "$f/ps-${a##*=}" 2>/dev/null || true;; esac; done ;;
"docker inspect "*) shift 3; for id; do echo "$id $(cat "$f/img-$id")"; done ;;
"docker stop "*|"docker rm "*) echo "$@" >> "$f/log"; shift; for id; do echo "$id"; done ;;
"docker-compose "*)
	shift 2
	echo "IMAGE=$IMAGE $*" >> "$f/log"
	echo "compose progress on stdout"
	if grep -qxF "$IMAGE" "$f/fail-up" 2>/dev/null; then echo "up failed for $IMAGE" >&2; exit 1; fi ;;
*) echo "fake docker: unexpected $0 $*" >&2; exit 2 ;;
esac
`

// shRemote runs commands with sh on this machine, PATH and FAKE set.
type shRemote struct {
	host string
	env  []string
}

func (r shRemote) Run(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) error {
	var tail bytes.Buffer
	c := exec.CommandContext(ctx, "sh", "-c", cmd)
	c.Env = append(os.Environ(), r.env...)
	c.Stdin, c.Stdout = stdin, stdout
	c.Stderr = &tail
	if stderr != nil {
		c.Stderr = io.MultiWriter(stderr, &tail)
	}
	err := c.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return &ExitError{Host: r.host, Code: ee.ExitCode(), Stderr: tail.String()}
	}
	return err
}

func (shRemote) DialContext(context.Context, string, string) (net.Conn, error) {
	return nil, errors.New("no network")
}

func (shRemote) Close() error { return nil }

// fakeHost makes a fake docker's state directory and a remote using it.
func fakeHost(t *testing.T, name string, files map[string]string) (shRemote, string) {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"docker", "docker-compose"} {
		if err := os.WriteFile(filepath.Join(bin, n), []byte(fakeDocker), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for n, content := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return shRemote{host: name, env: []string{"PATH=" + bin + ":" + os.Getenv("PATH"), "FAKE=" + dir}}, dir
}

func fakeLog(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "log"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// rollSession is a session of one environment (web, and beat stop-first)
// on the given hosts.
func rollSession(t *testing.T, remotes ...shRemote) *session {
	t.Helper()
	s := &session{d: &Deployer{Config: &Config{File: gantryfile.File{App: "demo"}}, Vars: func(string) (string, bool) { return "", false }},
		e: &gantryfile.Environment{Name: "production", Services: []gantryfile.Service{{Name: "web"}, {Name: "beat", Strategy: gantryfile.StopFirst}}}}
	for _, r := range remotes {
		s.hosts = append(s.hosts, gantryfile.Host{Addr: r.host})
		s.remotes = append(s.remotes, r)
		s.comp = append(s.comp, compose{bin: "docker-compose", dir: t.TempDir(), project: "demo", files: []string{"docker-compose.yml"}})
	}
	return s
}

// The roll on one host stops the stop-first services only when the new
// image is there, and starts them again on the serving release at once
// when `up` fails after the stop.
func TestRollStopFirst(t *testing.T) {
	v1 := release{tag: "v1", digest: "sha256:1", image: "reg/app@sha256:1"}
	v2 := release{tag: "v2", digest: "sha256:2", image: "reg/app@sha256:2"}
	upV2 := "IMAGE=reg/app@sha256:2 -f docker-compose.yml up -d web beat"
	restart := "IMAGE=reg/app@sha256:1 -f docker-compose.yml up -d --no-deps beat"
	tests := []struct {
		name     string
		files    map[string]string
		back     *release
		wantLog  []string
		wantErr  string // a part of it; "" for none (compose's stdout is in its stderr tail)
		switched int
	}{
		{"switched", map[string]string{"images": v2.image, "ps-beat": "c1", "img-c1": v1.image},
			&v1, []string{"stop c1", "rm c1", upV2}, "", 1},
		{"image missing: nothing stopped", map[string]string{"images": v1.image, "ps-beat": "c1", "img-c1": v1.image},
			&v1, nil, "a:22: the release's image reg/app@sha256:2 is not on the host (removed since the pull?): nothing was stopped", 0},
		{"up fails after the stop: beat started again on v1", map[string]string{"images": v2.image, "ps-beat": "c1", "img-c1": v1.image, "fail-up": v2.image},
			&v1, []string{"stop c1", "rm c1", upV2, restart}, "on stdout\nup failed for reg/app@sha256:2\ncompose progress on stdout; beat started again on v1 at once", 1},
		{"the restart fails too", map[string]string{"images": v2.image, "ps-beat": "c1", "img-c1": v1.image, "fail-up": v2.image + "\n" + v1.image},
			&v1, []string{"stop c1", "rm c1", upV2, restart}, "; starting beat again on v1 failed too", 1},
		{"beat already runs the release: left alone", map[string]string{"images": v2.image, "ps-beat": "c1", "img-c1": v2.image},
			&v1, []string{upV2}, "", 1},
		{"no beat running: nothing to start again", map[string]string{"images": v2.image, "fail-up": v2.image},
			&v1, []string{upV2}, "up failed for reg/app@sha256:2", 1},
		{"no serving release: nothing to start again", map[string]string{"images": v2.image, "ps-beat": "c1", "img-c1": "other", "fail-up": v2.image},
			nil, []string{"stop c1", "rm c1", upV2}, "up failed for reg/app@sha256:2", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, dir := fakeHost(t, "a:22", tt.files)
			s := rollSession(t, r)
			err := s.roll(context.Background(), v2, tt.back, 1, nil)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("roll: %v, want an error with %q", err, tt.wantErr)
			}
			got := fakeLog(t, dir)
			if diff := cmp.Diff(tt.wantLog, got); diff != "" {
				t.Errorf("what the host did (-want +got):\n%s", diff)
			}
			if s.switched != tt.switched {
				t.Errorf("switched = %d, want %d", s.switched, tt.switched)
			}
		})
	}
}

// A second host without the image stops the roll there, unchanged: the
// rollback returns the first host only.
func TestRollSecondHostImageMissing(t *testing.T) {
	v1 := release{tag: "v1", image: "reg/app@sha256:1"}
	v2 := release{tag: "v2", image: "reg/app@sha256:2"}
	r1, dir1 := fakeHost(t, "a:22", map[string]string{"images": v2.image, "ps-beat": "c1", "img-c1": v1.image})
	r2, dir2 := fakeHost(t, "b:22", map[string]string{"images": v1.image, "ps-beat": "c2", "img-c2": v1.image})
	s := rollSession(t, r1, r2)
	var after []int
	err := s.roll(context.Background(), v2, &v1, 2, func(i int) error { after = append(after, i); return nil })
	if err == nil || !strings.HasPrefix(err.Error(), "b:22: the release's image") {
		t.Errorf("roll: %v, want the second host's image missing", err)
	}
	if s.switched != 1 || !cmp.Equal(after, []int{0}) {
		t.Errorf("switched %d, after called for %v; want 1 and [0]", s.switched, after)
	}
	if n := len(fakeLog(t, dir1)); n != 3 {
		t.Errorf("the first host did %d things, want 3 (stop, rm, up)", n)
	}
	if l := fakeLog(t, dir2); l != nil {
		t.Errorf("the second host did %q, want nothing", l)
	}
}
