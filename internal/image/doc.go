// Package image builds, pushes, promotes and inspects container images:
// phase 3 of the guide, one image per commit tagged with its SHA, and the
// digest that staging verified promoted to production without a rebuild.
//
// Build and Push drive the Docker engine through its API (BuildKit when
// the engine uses it by default, the classic builder otherwise); Resolve,
// Promote and Inspect talk to the registry directly with
// go-containerregistry and never touch the engine: promoting a tag is one
// manifest put, no layer moves.
//
// Registry failures come back as *Error, whose Kind says what went wrong
// (errors.Is(err, ErrUnauthorized), ErrNotFound, ErrTLS, ErrUnknownHost,
// ErrUnavailable) and whose message says what to check. Transient failures
// are retried with exponential backoff within a budget (WithRetry).
// Credentials are looked up as a GitLab job has them (see Credentials) and
// never appear in errors; Credentials.Secrets lists what callers must mask
// in output they show.
//
// The deployer resolves the tag it deploys to the digest it records with
//
//	digest, err := image.Resolve(ctx, ref, image.WithCredentials(image.CredentialsFromEnv(os.Getenv)))
package image
