// Package image builds, pushes, promotes and inspects container images:
// phase 3 of the guide, one image per commit tagged with its SHA, and the
// digest that staging verified promoted to production without a rebuild.
//
// Build, Push and Pull drive the Docker engine through its API (BuildKit
// when the engine uses it by default, the classic builder otherwise), and
// read its JSON message streams with one reader; Resolve,
// Promote and Inspect talk to the registry directly with
// go-containerregistry and never touch the engine: promoting a tag is one
// manifest put, no layer moves.
//
// Registry failures come back as *Error, whose Kind says what went wrong
// (errors.Is(err, ErrUnauthorized), ErrNotFound, ErrTLS, ErrUnknownHost,
// ErrUnavailable) and whose message says what to check. Transient failures
// are retried with exponential backoff within a budget (WithRetry).
// Credentials are looked up as a GitLab job has them (package
// registryauth: the job's DOCKER_AUTH_CONFIG, its CI_REGISTRY credentials,
// then the docker config file) and never appear in errors or progress;
// Credentials.Secrets lists what callers must mask in output they show.
// The docker executor pulls job and service images with Pull, so both use
// the same credentials and explain a refusal the same way.
//
// The deployer resolves the tag it deploys to the digest it records with
//
//	digest, err := image.Resolve(ctx, ref, image.WithCredentials(image.CredentialsFromEnv(os.Getenv)))
package image
