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
	r, err := parseRef(ref)
	if err != nil {
		return "", err
	}
	c, err := newRegistryClient(makeOptions(opts), r.Context().RegistryStr())
	if err != nil {
		return "", err
	}
	d, err := c.head(ctx, r)
	if err != nil {
		return "", err
	}
	return d.Digest.String(), nil
}

// head fetches r's descriptor from its registry.
func (c *registryClient) head(ctx context.Context, r name.Reference) (*v1.Descriptor, error) {
	var d *v1.Descriptor
	err := c.o.do(ctx, "resolve", r, func() error {
		var err error
		d, err = remote.Head(r, c.remoteOptions(ctx)...)
		return err
	})
	return d, err
}
