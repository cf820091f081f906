package image

import (
	"context"
	"fmt"

	"github.com/gantry-ci/gantry/internal/registryauth"
)

// Credentials are the registry credentials a GitLab job has, besides the
// user's docker config file (and its credential helpers), which is always
// consulted last. They are registryauth.Credentials: the first source that
// knows a registry wins, DOCKER_AUTH_CONFIG, then CI_REGISTRY_USER/PASSWORD
// for CI_REGISTRY, then the docker config file.
type Credentials = registryauth.Credentials

// CredentialsFromEnv reads the variables GitLab gives a job.
func CredentialsFromEnv(getenv func(string) string) Credentials {
	return registryauth.FromEnv(getenv)
}

// NoCredentials is Error.Credentials when none were found for the
// registry: it was accessed anonymously.
const NoCredentials = "none"

// engineAuth returns the X-Registry-Auth value the engine needs for the
// registry host, "" for anonymous access, and where the credentials came
// from (NoCredentials for none).
func (o *options) engineAuth(ctx context.Context, host string) (header, source string, err error) {
	r, err := o.resolver()
	if err != nil {
		return "", "", err
	}
	a, err := r.Lookup(ctx, host)
	if err != nil {
		return "", "", err
	}
	header, err = a.Header()
	if err != nil {
		return "", "", fmt.Errorf("credentials for %s: %w", host, err)
	}
	if a.Anonymous() {
		return "", NoCredentials, nil
	}
	return header, string(a.Source), nil
}
