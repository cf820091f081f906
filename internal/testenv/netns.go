package testenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
)

// DockerNetns is the component name of a second Docker engine in a
// network namespace of its own (package dockertest): it needs root, to
// create namespaces and run dockerd, and the programs that do it.
const DockerNetns = "docker-netns"

// NetnsPrograms are the programs a DockerNetns host is made with.
var NetnsPrograms = []string{"ip", "nsenter", "unshare", "mount", "dockerd"}

func init() {
	probes[DockerNetns] = probeDockerNetns
}

// probeDockerNetns checks what dockertest needs before it creates
// anything; the first engine must answer too, since the second one is
// only useful beside it.
func probeDockerNetns() error {
	if os.Geteuid() != 0 {
		return errors.New("a second Docker engine in its own network namespace needs root")
	}
	for _, p := range NetnsPrograms {
		if _, err := LookPath(p); err != nil {
			return err
		}
	}
	// Root in a container may still lack the capabilities namespaces take.
	unshare, _ := LookPath("unshare") // found just above
	if out, err := exec.Command(unshare, "--net", "--mount", "true").CombinedOutput(); err != nil {
		return fmt.Errorf("unshare --net --mount: %v: %s", err, out)
	}
	// check holds the probe lock: ask the engine directly.
	return pingDocker()
}

// LookPath finds program on PATH or, as a root shell would, in /usr/sbin
// and /sbin, which a test's PATH may lack.
func LookPath(program string) (string, error) {
	if p, err := exec.LookPath(program); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/sbin"} {
		p := dir + "/" + program
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found on PATH, /usr/sbin or /sbin", program)
}
