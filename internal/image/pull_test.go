package image_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/gantry-ci/gantry/internal/image"
	"github.com/gantry-ci/gantry/internal/registrytest"
	"github.com/gantry-ci/gantry/internal/testenv"
)

// TestPull pulls an image from a registry that requires a login, with
// each source of credentials and with none, through the engine.
func TestPull(t *testing.T) {
	local := testenv.Image(t, "busybox")
	reg := registrytest.Start(t, registrytest.TrustedByDocker())
	ref := reg.Push(t, local, "gantry-test/pull:1")
	t.Setenv("HOME", t.TempDir()) // no docker config file but the test's
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	basic := base64.StdEncoding.EncodeToString([]byte(registrytest.User + ":" + registrytest.Password))
	tests := []struct {
		name  string
		creds []image.Credentials
		// dockerConfig is the DOCKER_CONFIG directory; "" for an empty one.
		dockerConfig string
		err          error
		says         []string
	}{
		{name: "DOCKER_AUTH_CONFIG", creds: []image.Credentials{{DockerAuthConfig: `{"auths": {"` + reg.Host() + `": {"auth": "` + basic + `"}}}`}}},
		{name: "CI_REGISTRY", creds: []image.Credentials{{Registry: reg.Host(), Username: registrytest.User, Password: registrytest.Password}}},
		{name: "second source", creds: []image.Credentials{{Registry: "other.example.com", Username: "u", Password: "p"}, {Registry: reg.Host(), Username: registrytest.User, Password: registrytest.Password}}},
		{name: "docker config file", dockerConfig: reg.DockerConfig(t)},
		{name: "none", err: image.ErrUnauthorized, says: []string{
			"pull " + ref, "registry " + reg.Host() + " requires credentials and none were found",
			"hint: set DOCKER_AUTH_CONFIG", "docker login " + reg.Host()}},
		{name: "wrong password", creds: []image.Credentials{{Registry: reg.Host(), Username: registrytest.User, Password: "not-the-password"}},
			err: image.ErrUnauthorized, says: []string{"refused the credentials from CI_REGISTRY_USER/CI_REGISTRY_PASSWORD"}},
		{name: "job beats the docker config file", dockerConfig: reg.DockerConfig(t),
			creds: []image.Credentials{{Registry: reg.Host(), Username: registrytest.User, Password: "not-the-password"}},
			err:   image.ErrUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.dockerConfig != "" {
				t.Setenv("DOCKER_CONFIG", tt.dockerConfig)
			}
			registrytest.Untag(t, ref)
			var log bytes.Buffer
			err := image.Pull(context.Background(), ref, &log, image.WithCredentials(tt.creds...), image.WithRetry(fastRetry))
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("Pull: %v, want %v\nlog:\n%s", err, tt.err, log.String())
			}
			for _, s := range tt.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error lacks %q: %v", s, err)
				}
			}
			all := log.String()
			if err != nil {
				all += err.Error()
			}
			for _, secret := range []string{registrytest.Password, "not-the-password", basic} {
				if strings.Contains(all, secret) {
					t.Errorf("log or error shows a secret:\n%s", all)
				}
			}
			if err == nil && !strings.Contains(log.String(), "Status: ") {
				t.Errorf("log lacks the engine's status line:\n%s", log.String())
			}
		})
	}
}
