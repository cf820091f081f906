// Package registryauth answers one question for the rest of gantry: which
// credentials to send to the registry of an image reference. A GitLab job
// has them in its variables (DOCKER_AUTH_CONFIG, CI_REGISTRY with
// CI_REGISTRY_USER and CI_REGISTRY_PASSWORD); the machine's user has them
// in the docker config file (~/.docker/config.json or $DOCKER_CONFIG, and
// the credential helpers it names). The job's variables win, as in GitLab
// Runner's docker executor.
//
// The answer comes as an authn.Keychain for go-containerregistry (gantry's
// own registry client) or as the X-Registry-Auth header value the Docker
// engine wants for a pull or a push. Secrets never appear in errors;
// Credentials.Secrets lists what callers must mask in output they show.
package registryauth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
)

// Credentials are the registry credentials of one source (a job's
// variables, a runner's configuration). Within it, DOCKER_AUTH_CONFIG is
// consulted before CI_REGISTRY_USER/CI_REGISTRY_PASSWORD.
type Credentials struct {
	// DockerAuthConfig is the JSON of DOCKER_AUTH_CONFIG: a docker
	// config.json document ({"auths": {...}, "credHelpers": {...},
	// "credsStore": "..."}).
	DockerAuthConfig string
	// Registry, Username and Password are CI_REGISTRY,
	// CI_REGISTRY_USER and CI_REGISTRY_PASSWORD.
	Registry, Username, Password string
}

// Names of the variables Credentials are read from.
const (
	VarDockerAuthConfig = "DOCKER_AUTH_CONFIG"
	VarRegistry         = "CI_REGISTRY"
	VarUser             = "CI_REGISTRY_USER"
	VarPassword         = "CI_REGISTRY_PASSWORD"
)

// FromEnv reads the variables GitLab gives a job through getenv
// (os.Getenv, or a lookup in a job's variables).
func FromEnv(getenv func(string) string) Credentials {
	return Credentials{
		DockerAuthConfig: getenv(VarDockerAuthConfig),
		Registry:         getenv(VarRegistry),
		Username:         getenv(VarUser),
		Password:         getenv(VarPassword),
	}
}

// IsZero reports whether c holds no credentials at all.
func (c Credentials) IsZero() bool {
	return strings.TrimSpace(c.DockerAuthConfig) == "" && c.Password == ""
}

// Secrets returns every credential value in c that must never be shown:
// passwords, tokens and the base64 forms a registry's Authorization header
// or a config file would carry. Callers mask them in the output they show.
func (c Credentials) Secrets() []string {
	var out []string
	add := func(user, pass string) {
		if pass == "" {
			return
		}
		out = append(out, pass, base64.StdEncoding.EncodeToString([]byte(user+":"+pass)))
	}
	add(c.Username, c.Password)
	if cf, err := parseDockerConfig(c.DockerAuthConfig); err == nil {
		for _, a := range cf.Auths {
			add(a.Username, a.Password)
			if a.Auth != "" {
				out = append(out, a.Auth)
				if user, pass, ok := decodeAuth(a.Auth); ok {
					add(user, pass)
				}
			}
			for _, tok := range []string{a.IdentityToken, a.RegistryToken} {
				if tok != "" {
					out = append(out, tok)
				}
			}
		}
	}
	return out
}

// dockerConfig is the part of a docker config.json document that
// DOCKER_AUTH_CONFIG uses.
type dockerConfig struct {
	Auths       map[string]authn.AuthConfig `json:"auths"`
	CredHelpers map[string]string           `json:"credHelpers"`
	CredsStore  string                      `json:"credsStore"`
}

// ErrBadDockerAuthConfig is wrapped by the error about a DOCKER_AUTH_CONFIG
// that is not a docker config.json document.
var ErrBadDockerAuthConfig = errors.New("DOCKER_AUTH_CONFIG is not a docker config.json document")

func parseDockerConfig(s string) (*dockerConfig, error) {
	var cf dockerConfig
	if strings.TrimSpace(s) == "" {
		return &cf, nil
	}
	if err := json.Unmarshal([]byte(s), &cf); err != nil {
		// The JSON error could quote part of the value, which holds secrets.
		return nil, fmt.Errorf(`%w (hint: {"auths": {"registry.example.com": {"auth": "<base64 user:password>"}}})`, ErrBadDockerAuthConfig)
	}
	return &cf, nil
}

// decodeAuth splits the base64 "user:password" of a config.json auth.
func decodeAuth(auth string) (user, pass string, ok bool) {
	b, err := base64.StdEncoding.DecodeString(auth)
	if err != nil {
		return "", "", false
	}
	return strings.Cut(string(b), ":")
}

// registryKey reduces a config.json auths key ("https://host:5000/v1/",
// "host:5000") or an image reference's registry to the registry host, as
// docker matches them.
func registryKey(key string) string {
	key = strings.TrimPrefix(strings.TrimPrefix(key, "https://"), "http://")
	key, _, _ = strings.Cut(key, "/")
	switch key {
	case "docker.io", "registry-1.docker.io":
		return "index.docker.io"
	}
	return key
}
