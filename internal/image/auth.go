package image

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/docker/docker/api/types/registry"
	"github.com/google/go-containerregistry/pkg/authn"
)

// Credentials are the registry credentials a GitLab job has, besides the
// user's ~/.docker/config.json (and its credential helpers), which is
// always consulted last. The first source that knows a registry wins:
// DOCKER_AUTH_CONFIG, then CI_REGISTRY_USER/PASSWORD for CI_REGISTRY, then
// the docker config file. A job's own variables thus beat whatever the
// machine's user is logged in to.
type Credentials struct {
	// DockerAuthConfig is the JSON of DOCKER_AUTH_CONFIG: a docker
	// config.json document ({"auths": {...}, "credHelpers": {...},
	// "credsStore": "..."}).
	DockerAuthConfig string
	// Registry, Username and Password are CI_REGISTRY,
	// CI_REGISTRY_USER and CI_REGISTRY_PASSWORD.
	Registry, Username, Password string
}

// CredentialsFromEnv reads the variables GitLab gives a job.
func CredentialsFromEnv(getenv func(string) string) Credentials {
	return Credentials{
		DockerAuthConfig: getenv("DOCKER_AUTH_CONFIG"),
		Registry:         getenv("CI_REGISTRY"),
		Username:         getenv("CI_REGISTRY_USER"),
		Password:         getenv("CI_REGISTRY_PASSWORD"),
	}
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
	if cf, err := parseAuthConfig(c.DockerAuthConfig); err == nil {
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

func parseAuthConfig(s string) (*dockerConfig, error) {
	var cf dockerConfig
	if strings.TrimSpace(s) == "" {
		return &cf, nil
	}
	if err := json.Unmarshal([]byte(s), &cf); err != nil {
		// The JSON error could quote part of the value, which holds secrets.
		return nil, fmt.Errorf("DOCKER_AUTH_CONFIG is not a docker config.json document (hint: {\"auths\": {\"registry.example.com\": {\"auth\": \"<base64 user:password>\"}}})")
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
// "host:5000") to the registry host, as docker matches them.
func registryKey(key string) string {
	key = strings.TrimPrefix(strings.TrimPrefix(key, "https://"), "http://")
	key, _, _ = strings.Cut(key, "/")
	switch key {
	case "docker.io", "registry-1.docker.io":
		return "index.docker.io"
	}
	return key
}

// keychain resolves credentials for a registry from c, then the docker
// config file.
type keychain struct {
	c  Credentials
	cf *dockerConfig
}

func newKeychain(c Credentials) (authn.Keychain, error) {
	cf, err := parseAuthConfig(c.DockerAuthConfig)
	if err != nil {
		return nil, err
	}
	return authn.NewMultiKeychain(&keychain{c: c, cf: cf}, authn.DefaultKeychain), nil
}

// Resolve implements authn.Keychain. Anonymous means "not known here":
// the multi-keychain then asks the next one.
func (k *keychain) Resolve(target authn.Resource) (authn.Authenticator, error) {
	host := registryKey(target.RegistryStr())
	for key, a := range k.cf.Auths {
		if registryKey(key) == host {
			return authn.FromConfig(a), nil
		}
	}
	if h, ok := k.cf.CredHelpers[host]; ok {
		return authn.NewKeychainFromHelper(credHelper(h)).Resolve(target)
	}
	if k.cf.CredsStore != "" {
		return authn.NewKeychainFromHelper(credHelper(k.cf.CredsStore)).Resolve(target)
	}
	if k.c.Registry != "" && k.c.Password != "" && registryKey(k.c.Registry) == host {
		return &authn.Basic{Username: k.c.Username, Password: k.c.Password}, nil
	}
	return authn.Anonymous, nil
}

// engineAuth returns the X-Registry-Auth value the engine needs to push
// to host, or "" for anonymous access.
func engineAuth(ctx context.Context, kc authn.Keychain, res authn.Resource) (string, error) {
	a, err := authn.Resolve(ctx, kc, res)
	if err != nil {
		return "", fmt.Errorf("credentials for %s: %w", res.RegistryStr(), err)
	}
	if a == authn.Anonymous {
		return "", nil
	}
	cfg, err := authn.Authorization(ctx, a)
	if err != nil {
		return "", fmt.Errorf("credentials for %s: %w", res.RegistryStr(), err)
	}
	user, pass := cfg.Username, cfg.Password
	if user == "" && cfg.Auth != "" {
		user, pass, _ = decodeAuth(cfg.Auth)
	}
	return registry.EncodeAuthConfig(registry.AuthConfig{
		Username:      user,
		Password:      pass,
		ServerAddress: res.RegistryStr(),
		IdentityToken: cfg.IdentityToken,
		RegistryToken: cfg.RegistryToken,
	})
}
