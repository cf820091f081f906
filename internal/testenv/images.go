package testenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// errNoRoot is returned when the module root cannot be found from the
// test's working directory.
var errNoRoot = errors.New("go.mod not found above the working directory")

var (
	imageMu    sync.Mutex
	imageBuilt = map[string]error{}
)

// Image requires docker, makes sure the test image name (busybox,
// postgres, redis, python) is built and up to date by running
// testdata/images/build.sh (a no-op when it is), and returns its tag.
// A build failure fails the test: the engine is there, so the recipe is
// wrong.
func Image(t testing.TB, name string) string {
	t.Helper()
	Require(t, "docker")
	imageMu.Lock()
	defer imageMu.Unlock()
	err, ok := imageBuilt[name]
	if !ok {
		err = buildImage(name)
		imageBuilt[name] = err
	}
	if err != nil {
		t.Fatalf("test image %s: %v", name, err)
	}
	return "gantry-test/" + name + ":latest"
}

func buildImage(name string) error {
	root, err := ModuleRoot()
	if err != nil {
		return err
	}
	cmd := exec.Command("bash", filepath.Join(root, "testdata", "images", "build.sh"), name)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("build.sh %s: %w\n%s", name, err, out)
	}
	return nil
}

// ModuleRoot returns the directory of go.mod above the working directory
// (a test's working directory is its package's directory).
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errNoRoot
		}
		dir = parent
	}
}
