package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	dimage "github.com/docker/docker/api/types/image"

	"github.com/gantry-ci/gantry/internal/executor"
	"github.com/gantry-ci/gantry/internal/image"
	"github.com/gantry-ci/gantry/internal/registryauth"
)

// Pull policies, as in GitLab's image:pull_policy.
const (
	PullAlways       = "always"
	PullIfNotPresent = "if-not-present"
	PullNever        = "never"
)

// ErrImageNotFound is wrapped by Prepare when an image is neither on the
// engine nor pullable under the job's pull policy.
var ErrImageNotFound = errors.New("image not found")

// jobCredentials are the registry credentials a job's variables give
// (DOCKER_AUTH_CONFIG, CI_REGISTRY with CI_REGISTRY_USER and
// CI_REGISTRY_PASSWORD), followed by the runner's own: GitLab Runner's
// order. The docker config file of gantry's user comes last (see
// registryauth.Resolver).
func (b *Backend) jobCredentials(job *executor.Job) []registryauth.Credentials {
	getenv := func(name string) string {
		var v string
		for _, e := range job.Env { // in precedence order: the last wins
			if e.Name == name {
				v = e.Value
			}
		}
		return v
	}
	return []registryauth.Credentials{registryauth.FromEnv(getenv), b.cfg.Credentials}
}

// ensureImage makes ref available on the engine under the pull policies,
// tried in order as GitLab Runner does (a failed "always" pull falls back
// to "if-not-present" when both are listed), and returns its inspection.
// what names the image's use for messages ("job build", "service redis of
// job build"); creds are the sources of registry credentials for a pull.
func (b *Backend) ensureImage(ctx context.Context, ref string, policies []string, what string, creds []registryauth.Credentials, log io.Writer) (dimage.InspectResponse, error) {
	if len(policies) == 0 {
		policies = []string{PullIfNotPresent}
	}
	var errs []error
	for _, p := range policies {
		switch p {
		case PullAlways:
			if err := b.pull(ctx, ref, creds, log); err != nil {
				errs = append(errs, err)
				continue
			}
			return b.inspectImage(ctx, ref)
		case PullIfNotPresent, PullNever:
			info, err := b.inspectImage(ctx, ref)
			if err == nil {
				fmt.Fprintf(log, "Using docker image %s (%s) for %s\n", shortID(info.ID), ref, what)
				return info, nil
			}
			if !errors.Is(err, ErrImageNotFound) || p == PullNever {
				errs = append(errs, err)
				continue
			}
			if err := b.pull(ctx, ref, creds, log); err != nil {
				errs = append(errs, err)
				continue
			}
			return b.inspectImage(ctx, ref)
		default:
			errs = append(errs, fmt.Errorf("unknown pull_policy %q (want always, if-not-present or never)", p))
		}
	}
	err := errors.Join(errs...)
	var regErr *image.Error
	if errors.As(err, &regErr) || errors.Is(err, registryauth.ErrBadDockerAuthConfig) {
		// A failed pull names the image and the registry and carries its
		// own hint (credentials, TLS, the tag).
		return dimage.InspectResponse{}, fmt.Errorf("%s: %w", what, err)
	}
	hint := "pull or build it first, or fix image:"
	if len(policies) == 1 && policies[0] == PullNever {
		hint = "pull_policy is never: build or pull it on the engine first"
	}
	return dimage.InspectResponse{}, fmt.Errorf("image %s for %s: %w (%s)", ref, what, err, hint)
}

func (b *Backend) inspectImage(ctx context.Context, ref string) (dimage.InspectResponse, error) {
	info, err := b.cli.ImageInspect(ctx, ref)
	if cerrdefs.IsNotFound(err) {
		return info, fmt.Errorf("%w on the engine", ErrImageNotFound)
	}
	if err != nil {
		return info, fmt.Errorf("inspect image: %w", err)
	}
	return info, nil
}

// pull pulls ref with the credentials creds give for its registry,
// writing a line when it starts and one per layer.
func (b *Backend) pull(ctx context.Context, ref string, creds []registryauth.Credentials, log io.Writer) error {
	fmt.Fprintf(log, "Pulling docker image %s ...\n", ref)
	err := image.Pull(ctx, ref, log, image.WithDockerClient(b.cli), image.WithCredentials(creds...))
	if errors.Is(err, image.ErrNotFound) {
		return fmt.Errorf("%w: %w", ErrImageNotFound, err)
	}
	return err
}

// shortID is the 12-hex-digit image ID docker shows.
func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		id = id[:12]
	}
	return id
}
