package image

import (
	"context"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Resolve returns the digest ("sha256:...") that ref (a tag, or a digest
// reference, which is then checked to exist) designates in its registry,
// with a HEAD request: nothing is pulled. A multi-platform image yields
// the digest of its index, as `docker pull` would record it.
//
// Errors are *Error: errors.Is(err, ErrNotFound) when the tag does not
// exist, ErrUnauthorized, ErrTLS, ErrUnknownHost, or ErrUnavailable once
// transient failures have used up the retry budget.
func Resolve(ctx context.Context, ref string, opts ...Option) (string, error) {
	d, err := head(ctx, ref, makeOptions(opts))
	if err != nil {
		return "", err
	}
	return d.Digest.String(), nil
}

// head fetches ref's descriptor from its registry.
func head(ctx context.Context, ref string, o *options) (*v1.Descriptor, error) {
	r, err := parseRef(ref)
	if err != nil {
		return nil, err
	}
	c, err := newRegistryClient(o, r.Context().RegistryStr())
	if err != nil {
		return nil, err
	}
	return c.head(ctx, r)
}

func (c *registryClient) head(ctx context.Context, r name.Reference) (*v1.Descriptor, error) {
	var d *v1.Descriptor
	err := c.do(ctx, "resolve", r, func() error {
		var err error
		d, err = remote.Head(r, c.remoteOptions(ctx)...)
		return err
	})
	return d, err
}
