package cli

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	"github.com/gantry-ci/gantry/internal/executor/docker"
	"github.com/gantry-ci/gantry/internal/testenv"
)

// dockerArgs runs jobs in containers of the Debian test image (it has
// bash, as the shell tests' scripts expect).
func dockerArgs(t *testing.T) []string {
	t.Helper()
	testenv.Require(t, "docker")
	return []string{"--executor", "docker", "--default-image", testenv.Image(t, "debian")}
}

// TestRunDockerStatuses: the shell executor's status cases give the same
// statuses, outputs and artifacts in containers, and leave nothing behind.
func TestRunDockerStatuses(t *testing.T) {
	args := dockerArgs(t)
	before := gantryObjects(t)
	testRunStatuses(t, args...)
	assertNoLeftovers(t, before)
}

func TestRunDockerMasksSecrets(t *testing.T) {
	args := dockerArgs(t)
	before := gantryObjects(t)
	testRunMasksSecrets(t, args...)
	assertNoLeftovers(t, before)
}

func TestRunDockerTimeout(t *testing.T) {
	args := dockerArgs(t)
	before := gantryObjects(t)
	dir := runProject(t, "timeout", map[string]string{})
	code, out, _, r := gantryRun(t, dir, append(args, "--variable", "PID_FILE=/tmp/pids")...)
	if code != ExitFailed || len(r.Jobs) != 1 || r.Jobs[0].Reason != "timed out after 1s" {
		t.Errorf("exit %d, jobs %+v\n%s", code, r.Jobs, out)
	}
	assertNoLeftovers(t, before)
}

func TestRunDockerUnknownExecutor(t *testing.T) {
	dir := runProject(t, "allow-failure", map[string]string{})
	if code, _, errOut, _ := gantryRun(t, dir, "--executor", "kubernetes"); code != ExitInvalid || !strings.Contains(errOut, "shell or docker") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

// TestRunDockerCtrlC interrupts a real gantry process while its job runs
// in a container: the run stops and its containers and networks go.
func TestRunDockerCtrlC(t *testing.T) {
	args := dockerArgs(t)
	dir := runProject(t, "sigint", map[string]string{})
	var owner string
	code, out := interruptRun(t, dir, append([]string{"--variable", "PID_FILE=/tmp/pids"}, args...), 60*time.Second, 30*time.Second,
		func(pid int, out string) bool {
			owner = ownerOf(t, pid)
			return len(objectsOf(t, owner)) > 0 && strings.Contains(out, "wait  > $ sleep 300")
		})
	if code != ExitFailed || !strings.Contains(out, "pipeline canceled") {
		t.Errorf("exit code %d, want 1 and a canceled pipeline:\n%s", code, out)
	}
	for obj := range objectsOf(t, owner) {
		t.Errorf("left behind after Ctrl-C: %s", obj)
	}
}

// gantryObjects lists the containers and networks that this test process
// made through the docker executor (other packages' tests may run beside
// it, in other processes).
func gantryObjects(t *testing.T) map[string]bool {
	t.Helper()
	return objectsOf(t, ownerOf(t, os.Getpid()))
}

// ownerOf is the docker executor's owner label of process pid.
func ownerOf(t *testing.T, pid int) string {
	t.Helper()
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	return host + "/" + strconv.Itoa(pid)
}

// objectsOf lists the containers and networks whose owner label is owner.
func objectsOf(t *testing.T, owner string) map[string]bool {
	t.Helper()
	c, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	f := filters.NewArgs(filters.Arg("label", docker.LabelOwner+"="+owner))
	out := map[string]bool{}
	cs, err := c.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range cs {
		out["container "+x.ID[:12]+" "+strings.Join(x.Names, ",")] = true
	}
	ns, err := c.NetworkList(ctx, network.ListOptions{Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range ns {
		out["network "+x.Name] = true
	}
	return out
}

// assertNoLeftovers fails if objects of this process exist now that did
// not before.
func assertNoLeftovers(t *testing.T, before map[string]bool) {
	t.Helper()
	for obj := range gantryObjects(t) {
		if !before[obj] {
			t.Errorf("left behind: %s", obj)
		}
	}
}
