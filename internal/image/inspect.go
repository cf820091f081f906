package image

import (
	"context"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// OCI annotation keys gantry labels images with.
const (
	LabelRevision = "org.opencontainers.image.revision"
	LabelSource   = "org.opencontainers.image.source"
	LabelCreated  = "org.opencontainers.image.created"
)

// Info describes an image in its registry.
type Info struct {
	Ref       string    `json:"ref"`
	Digest    string    `json:"digest"`
	MediaType string    `json:"media_type"`
	Revision  string    `json:"revision,omitempty"`
	Source    string    `json:"source,omitempty"`
	Created   time.Time `json:"created"`
	// Size is what the image weighs in the registry: manifest, config and
	// compressed layers.
	Size     int64  `json:"size"`
	Platform string `json:"platform,omitempty"`
}

// Inspect reads ref's manifest and config from its registry (not its
// layers). For a multi-platform image, the labels, creation time and size
// are those of the image for the platform gantry runs on; Digest stays the
// index's.
func Inspect(ctx context.Context, ref string, opts ...Option) (Info, error) {
	o := makeOptions(opts)
	r, err := parseRef(ref)
	if err != nil {
		return Info{}, err
	}
	c, err := newRegistryClient(o, r.Context().RegistryStr())
	if err != nil {
		return Info{}, err
	}
	var info Info
	err = c.o.do(ctx, "inspect", r, func() error {
		desc, err := remote.Get(r, c.remoteOptions(ctx)...)
		if err != nil {
			return err
		}
		info = Info{Ref: r.String(), Digest: desc.Digest.String(), MediaType: string(desc.MediaType)}
		img, err := desc.Image()
		if err != nil {
			return err
		}
		return describe(img, &info)
	})
	return info, err
}

// describe fills info from img's config and manifest.
func describe(img v1.Image, info *Info) error {
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	m, err := img.Manifest()
	if err != nil {
		return err
	}
	raw, err := img.RawManifest()
	if err != nil {
		return err
	}
	info.Revision = cf.Config.Labels[LabelRevision]
	info.Source = cf.Config.Labels[LabelSource]
	info.Created = cf.Created.Time
	info.Platform = cf.Platform().String()
	info.Size = int64(len(raw)) + m.Config.Size
	for _, l := range m.Layers {
		info.Size += l.Size
	}
	return nil
}
