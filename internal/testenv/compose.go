package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ComposeV2 is the component name of Docker Compose v2 as a docker CLI
// plugin, built by scripts/setup.sh from testdata/compose-v2 into
// ComposeV2Dir. It is not installed system-wide, so that the host's
// docker-compose (v1, Debian's) stays tested too.
const ComposeV2 = "docker-compose-v2"

// ComposeV2DirEnv overrides where the Compose v2 plugin was built.
const ComposeV2DirEnv = "GANTRY_COMPOSE_V2_DIR"

// DefaultComposeV2Dir is where scripts/setup.sh builds the plugin; keep
// the version in step with testdata/compose-v2/go.mod and setup.sh.
const DefaultComposeV2Dir = "/var/cache/gantry-test/compose-v2.40.3"

func init() {
	probes[ComposeV2] = probeComposeV2
}

// ComposeV2Dir returns a docker config directory whose cli-plugins holds
// Compose v2: with DOCKER_CONFIG set to it, `docker compose` works. It
// holds no config.json, so the docker CLI falls back to its defaults.
func ComposeV2Dir() string {
	if d := os.Getenv(ComposeV2DirEnv); d != "" {
		return d
	}
	return DefaultComposeV2Dir
}

// ComposeV2Plugin returns the plugin binary's path in ComposeV2Dir.
func ComposeV2Plugin() string {
	return filepath.Join(ComposeV2Dir(), "cli-plugins", "docker-compose")
}

// probeComposeV2 checks that the docker CLI finds the plugin through
// DOCKER_CONFIG and that it is v2: a half-written binary or a v1 copied
// there would make the v2 tests test nothing.
func probeComposeV2() error {
	if _, err := exec.LookPath("docker"); err != nil {
		return err
	}
	if _, err := os.Stat(ComposeV2Plugin()); err != nil {
		return fmt.Errorf("%w (scripts/setup.sh builds it from testdata/compose-v2)", err)
	}
	cmd := exec.Command("docker", "compose", "version", "--short")
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+ComposeV2Dir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("docker compose version with DOCKER_CONFIG=%s: %v: %s", ComposeV2Dir(), err, strings.TrimSpace(string(out)))
	}
	if v := strings.TrimSpace(string(out)); !strings.HasPrefix(strings.TrimPrefix(v, "v"), "2.") {
		return fmt.Errorf("docker compose in %s is version %q, want 2.x", ComposeV2Dir(), v)
	}
	return nil
}
