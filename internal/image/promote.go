package image

import (
	"context"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Promotion is the outcome of Promote.
type Promotion struct {
	// Digest is what SRC designated, and every destination now does.
	Digest string
	// Moved lists the destinations whose tag was written; the others
	// already pointed at Digest.
	Moved []string
	// Unchanged lists the destinations that already held Digest.
	Unchanged []string
}

// Promote points each destination at the manifest src designates, in the
// registry itself: it reads src's manifest and puts it under each
// destination tag, without pulling layers, rebuilding or re-pushing them.
// A destination is a bare tag ("prod", in src's repository) or a full
// reference; in another repository of the same registry the blobs are
// mounted from src's, never sent. Progress lines go to log.
//
// src must exist: when it does not, Promote changes nothing and the error
// matches ErrNotFound. src may be a digest reference, which pins exactly
// what was verified (what staging ran) against a tag moving meanwhile.
func Promote(ctx context.Context, src string, dsts []string, log io.Writer, opts ...Option) (Promotion, error) {
	o := makeOptions(opts)
	var p Promotion
	sr, err := parseRef(src)
	if err != nil {
		return p, err
	}
	targets := make([]name.Reference, 0, len(dsts))
	for _, d := range dsts {
		t, err := destination(sr, d)
		if err != nil {
			return p, err
		}
		if t.Context().RegistryStr() != sr.Context().RegistryStr() {
			return p, fmt.Errorf("promote %s to %s: another registry: promote moves tags within one registry (hint: push the image there)", src, t)
		}
		targets = append(targets, t)
	}
	c, err := newRegistryClient(o, sr.Context().RegistryStr())
	if err != nil {
		return p, err
	}
	var desc *remote.Descriptor
	err = c.o.do(ctx, "promote", sr, func() error {
		var err error
		desc, err = remote.Get(sr, c.remoteOptions(ctx)...)
		return err
	})
	if err != nil {
		return p, err
	}
	p.Digest = desc.Digest.String()
	for _, t := range targets {
		cur, err := c.head(ctx, t)
		if err == nil && cur.Digest == desc.Digest {
			fmt.Fprintf(log, "%s already at %s\n", t, p.Digest)
			p.Unchanged = append(p.Unchanged, t.String())
			continue
		}
		err = c.o.do(ctx, "promote", t, func() error {
			if t.Context() == sr.Context() {
				return remote.Put(t, desc, c.remoteOptions(ctx)...)
			}
			return c.writeAcross(ctx, t, desc)
		})
		if err != nil {
			return p, err
		}
		fmt.Fprintf(log, "%s -> %s\n", t, p.Digest)
		p.Moved = append(p.Moved, t.String())
	}
	return p, nil
}

// destination reads a promote target: a bare tag means src's repository.
func destination(src name.Reference, dst string) (name.Reference, error) {
	if t, err := name.NewTag(src.Context().String()+":"+dst, name.StrictValidation); err == nil {
		return t, nil
	}
	r, err := name.ParseReference(dst)
	if err != nil {
		return nil, fmt.Errorf("promote target %q: neither a tag nor an image reference (hint: prod, or registry.example.com/app:prod)", dst)
	}
	return r, nil
}

// writeAcross writes desc into another repository of the same registry;
// go-containerregistry mounts blobs the registry already has instead of
// uploading them.
func (c *registryClient) writeAcross(ctx context.Context, t name.Reference, desc *remote.Descriptor) error {
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return err
		}
		return remote.WriteIndex(t, idx, c.remoteOptions(ctx)...)
	}
	img, err := desc.Image()
	if err != nil {
		return err
	}
	return remote.Write(t, img, c.remoteOptions(ctx)...)
}
