package registryauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// credHelper is a docker credential helper named in DOCKER_AUTH_CONFIG
// (credHelpers or credsStore): the program docker-credential-<name>, which
// reads a server URL on stdin and prints {"Username": ..., "Secret": ...}.
type credHelper string

// notFound is what helpers print when they know nothing of a server.
const credNotFound = "credentials not found in native keychain"

// Get implements authn.Helper. A helper that knows nothing of the server
// yields empty credentials (anonymous access), as docker treats it.
func (h credHelper) Get(serverURL string) (string, string, error) {
	prog := "docker-credential-" + string(h)
	cmd := exec.Command(prog, "get")
	cmd.Stdin = strings.NewReader(serverURL)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if strings.Contains(stdout.String()+stderr.String(), credNotFound) {
			return "", "", nil
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			// The helper's output is not quoted: it could hold a secret.
			return "", "", fmt.Errorf("credential helper %s for %s failed (%v)", prog, serverURL, err)
		}
		return "", "", fmt.Errorf("credential helper %s: %w (hint: install it or remove it from the docker config)", prog, err)
	}
	var out struct{ Username, Secret string }
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return "", "", fmt.Errorf("credential helper %s for %s: unreadable answer", prog, serverURL)
	}
	return out.Username, out.Secret, nil
}
