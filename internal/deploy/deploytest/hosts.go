package deploytest

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gantry-ci/gantry/internal/deploy"
	"github.com/gantry-ci/gantry/internal/dockertest"
	"github.com/gantry-ci/gantry/internal/gantryfile"
	"github.com/gantry-ci/gantry/internal/sshtest"
)

// Host is one deploy host of the rig: its sshd and the engine its
// sessions' docker talks to.
type Host struct {
	SSHD *sshtest.Server
	// Dir is the app's directory of the host as seen from the test: for
	// the primary HostDir, for the second another directory, which its
	// sessions see at HostDir.
	Dir string
	// Engine is the second machine (nil for the primary, which is this
	// machine and its dockerd).
	Engine *dockertest.Host
	r      *Rig
}

// WithSecondHost gives the environment a second host after the primary:
// a machine of its own (dockertest) with its own dockerd, network and
// files, whose sshd runs there. Its sessions find that engine through
// DOCKER_HOST, set by sshd, and see their own directory at HostDir. The
// app publishes the same port on both hosts, each on its own loopback, so
// Config makes every health check go through each host's SSH connection.
// The registry listens on the machine's address, trusted by both engines.
func WithSecondHost() Option {
	return func(r *Rig) { r.second = true }
}

// startSecondHost starts the second machine and its sshd; base is the
// directory above HostDir, which the host's sessions see as their own.
func (r *Rig) startSecondHost(base, creds string) *Host {
	r.t.Helper()
	m := dockertest.Start(r.t)
	own := r.t.TempDir()
	opts := []sshtest.Option{
		sshtest.WithListenAddress(m.Addr),
		sshtest.WithWrap(m.Wrap(nil, dockertest.Bind{Source: own, Target: base})...),
		sshtest.WithEnv("DOCKER_HOST", m.DockerHost),
	}
	if r.Compose == ComposeV2 {
		opts = append(opts, sshtest.WithEnv("DOCKER_CONFIG", r.userDockerConfig(creds)))
	}
	rel, err := filepath.Rel(base, r.HostDir)
	if err != nil {
		r.t.Fatal(err)
	}
	return &Host{SSHD: sshtest.Start(r.t, opts...), Dir: filepath.Join(own, rel), Engine: m, r: r}
}

// secondHostConfig adds the second host to e and sends every health
// check through each host's SSH connection: the app's port is on each
// host's own loopback.
func (r *Rig) secondHostConfig(e *gantryfile.Environment) {
	pos := e.Hosts[0].Pos
	e.Hosts = append(e.Hosts, gantryfile.Host{Raw: "$DEPLOY_HOST2", Pos: pos})
	for i := range e.Health {
		e.Health[i].ViaSSH = true
	}
}

// dialer knows every host's key and holds every host's identity.
func (r *Rig) dialer() *deploy.SSHDialer {
	d := &deploy.SSHDialer{Timeout: 10 * time.Second}
	for _, h := range r.Hosts {
		d.KnownHosts = append(d.KnownHosts, h.SSHD.KnownHosts)
		d.Identities = append(d.Identities, h.SSHD.Identity)
	}
	return d
}

// docker runs the docker CLI against the host's engine.
func (h *Host) docker(args ...string) *exec.Cmd {
	if h.Engine != nil {
		return h.Engine.Docker(args...)
	}
	return exec.Command("docker", args...)
}

// Serving asks the app on the host's loopback, through its SSH
// connection, what version answers: "v2/ok", say.
func (h *Host) Serving() string {
	h.r.t.Helper()
	c := h.SSHD.Dial(h.r.t)
	defer c.Close()
	return h.r.serving(&http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DialContext: c.DialContext}})
}

// Containers lists the project's containers on the host's engine as
// "service state", sorted; one-off ones (compose run) as "service run
// state".
func (h *Host) Containers() []string {
	h.r.t.Helper()
	out, err := h.docker("ps", "-a", "--filter", "label=com.docker.compose.project="+h.r.Project, "--format",
		`{{.Label "com.docker.compose.service"}}{{if eq (.Label "com.docker.compose.oneoff") "True"}} run{{end}} {{.State}}`).Output()
	if err != nil {
		h.r.t.Fatalf("docker ps on %s: %v", h.SSHD.Host(), err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if lines[0] == "" {
		lines = nil
	}
	sort.Strings(lines)
	return lines
}

// Images lists the services' images on the host's engine, sorted, as
// "service=reference": the reference each running container of the
// project was created from (docker ps shows a digest reference without
// its digest).
func (h *Host) Images() []string {
	h.r.t.Helper()
	ids, err := h.docker("ps", "-q", "--filter", "label=com.docker.compose.project="+h.r.Project).Output()
	if err != nil {
		h.r.t.Fatalf("docker ps on %s: %v", h.SSHD.Host(), err)
	}
	if len(strings.Fields(string(ids))) == 0 {
		return nil
	}
	out, err := h.docker(append([]string{"inspect", "--format", `{{index .Config.Labels "com.docker.compose.service"}}={{.Config.Image}}`}, strings.Fields(string(ids))...)...).Output()
	if err != nil {
		h.r.t.Fatalf("docker inspect on %s: %v", h.SSHD.Host(), err)
	}
	lines := strings.Fields(string(out))
	sort.Strings(lines)
	return lines
}

// HasImage tells whether the host's engine has ref.
func (h *Host) HasImage(ref string) bool {
	return h.docker("image", "inspect", ref).Run() == nil
}

// RemoveImage removes ref from the host's engine, even while a
// container runs the image (a release command, say): the reference goes,
// the container goes on.
func (h *Host) RemoveImage(ref string) {
	h.r.t.Helper()
	if out, err := h.docker("image", "rm", "--force", ref).CombinedOutput(); err != nil {
		h.r.t.Fatalf("docker image rm %s on %s: %v: %s", ref, h.SSHD.Host(), err, out)
	}
}

// ReleaseRuns counts the one-off containers (compose run: the release
// commands) the host's engine created for the project since then.
func (h *Host) ReleaseRuns(since time.Time) int {
	h.r.t.Helper()
	return h.created(since, "True")
}

// Switches counts the service containers (compose up's) the host's
// engine created for the project since then: none when no release was
// switched to there.
func (h *Host) Switches(since time.Time) int {
	h.r.t.Helper()
	return h.created(since, "False")
}

// created counts the project's containers created since then whose
// compose oneoff label is oneoff.
func (h *Host) created(since time.Time, oneoff string) int {
	h.r.t.Helper()
	return len(strings.Fields(h.events(since, "{{.ID}}", "event=create", "label=com.docker.compose.oneoff="+oneoff)))
}

// events lists, in format, what happened to the project's containers on
// the host's engine since then, as docker events filters them further.
func (h *Host) events(since time.Time, format string, filters ...string) string {
	h.r.t.Helper()
	unix := func(t time.Time) string { return strconv.FormatFloat(float64(t.UnixNano())/1e9, 'f', 3, 64) }
	args := []string{"events", "--since", unix(since), "--until", unix(time.Now()),
		"--filter", "type=container", "--filter", "label=com.docker.compose.project=" + h.r.Project}
	for _, f := range filters {
		args = append(args, "--filter", f)
	}
	out, err := h.docker(append(args, "--format", format)...).Output()
	if err != nil {
		h.r.t.Fatalf("docker events on %s: %v", h.SSHD.Host(), err)
	}
	return string(out)
}

// Has tells whether the host has the file at rel in the app's directory.
func (h *Host) Has(rel string) bool {
	_, err := os.Stat(filepath.Join(h.Dir, rel))
	return err == nil
}

// Mode returns the permissions of the file at rel in the app's directory.
func (h *Host) Mode(rel string) (os.FileMode, error) {
	st, err := os.Stat(filepath.Join(h.Dir, rel))
	if err != nil {
		return 0, err
	}
	return st.Mode().Perm(), nil
}

// WaitRunning waits until the host's engine runs a one-off container of
// the project (a release command), for a test to act during it.
func (h *Host) WaitRunning(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for _, c := range h.Containers() {
			if strings.HasSuffix(c, " run running") {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("no release command ran on %s within %s", h.SSHD.Host(), timeout)
}
