package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/image"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Pushed is the outcome of pushing one tag.
type Pushed struct {
	Ref    string `json:"ref"`
	Digest string `json:"digest"`
	// UpToDate is true when the registry's tag already held the local
	// image's digest: nothing was sent.
	UpToDate bool `json:"up_to_date"`
}

// Push pushes each local image ref to its registry through the engine,
// printing each layer's progress to log. A tag the registry already holds
// with the digest the engine last pushed or pulled for this image is left
// alone: no blob or manifest is sent.
//
// Before the engine pushes, the registry is asked for the tag with
// gantry's own client, so that a wrong password, an unknown host, a TLS
// problem or a registry that is down is reported as an *Error (see
// Resolve) within the retry budget.
func Push(ctx context.Context, refs []string, log io.Writer, opts ...Option) ([]Pushed, error) {
	o := makeOptions(opts)
	cli, err := o.engine()
	if err != nil {
		return nil, err
	}
	if o.docker == nil {
		defer cli.Close()
	}
	var out []Pushed
	for _, ref := range refs {
		r, err := parseRef(ref)
		if err != nil {
			return out, fmt.Errorf("push: %w", err)
		}
		if _, ok := r.(name.Tag); !ok {
			return out, fmt.Errorf("push %s: a digest reference cannot be pushed (hint: push a tag)", ref)
		}
		local, err := cli.ImageInspect(ctx, ref)
		if cerrdefs.IsNotFound(err) {
			return out, fmt.Errorf("push %s: no such image on the engine (hint: gantry image build --tag %s)", ref, ref)
		}
		if err != nil {
			return out, engineErr("push "+ref, cli, err)
		}
		c, err := newRegistryClient(o, r.Context().RegistryStr())
		if err != nil {
			return out, err
		}
		remote, err := c.head(ctx, r)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return out, relabel(err, "push")
		}
		if remote != nil && holds(local.RepoDigests, r.Context(), remote.Digest) {
			fmt.Fprintf(log, "%s: already up to date at %s\n", ref, remote.Digest)
			out = append(out, Pushed{Ref: ref, Digest: remote.Digest.String(), UpToDate: true})
			continue
		}
		d, err := c.enginePush(ctx, cli, r, log)
		if err != nil {
			return out, err
		}
		fmt.Fprintf(log, "%s: pushed %s\n", ref, d)
		out = append(out, Pushed{Ref: ref, Digest: d})
	}
	return out, nil
}

// holds tells whether the engine recorded digest d for repo, in the
// "repo@sha256:..." form of RepoDigests.
func holds(repoDigests []string, repo name.Repository, d v1.Hash) bool {
	for _, rd := range repoDigests {
		got, err := name.NewDigest(rd)
		if err == nil && got.Context().Name() == repo.Name() && got.DigestStr() == d.String() {
			return true
		}
	}
	return false
}

// enginePush has the engine push r, retrying as do does when the engine
// reports a transient failure, and returns the pushed digest.
func (c *registryClient) enginePush(ctx context.Context, cli engineClient, r name.Reference, log io.Writer) (string, error) {
	auth, source, err := c.o.engineAuth(ctx, r.Context().RegistryStr())
	if err != nil {
		return "", fmt.Errorf("push %s: %w", r, err)
	}
	var digest string
	err = c.o.do(ctx, "push", r, func() error {
		rc, err := cli.ImagePush(ctx, r.String(), image.PushOptions{RegistryAuth: auth})
		if err != nil {
			return err
		}
		defer rc.Close()
		p := newProgressPrinter(log)
		return readStream(rc, func(m *message) error {
			if m.Aux != nil {
				var aux struct{ Digest string }
				if json.Unmarshal(m.Aux, &aux) == nil && aux.Digest != "" {
					digest = aux.Digest
				}
				return nil
			}
			p.print(m)
			return nil
		})
	})
	if err != nil {
		return "", sentCredentials(err, source)
	}
	if digest == "" {
		return "", fmt.Errorf("push %s: the engine reported no digest", r)
	}
	return digest, nil
}

// engineClient is the part of the engine's API that pushing needs.
type engineClient interface {
	ImagePush(ctx context.Context, ref string, options image.PushOptions) (io.ReadCloser, error)
}

// sentCredentials records in an *Error which credentials were sent.
func sentCredentials(err error, source string) error {
	var e *Error
	if errors.As(err, &e) {
		c := *e
		c.Credentials = source
		return &c
	}
	return err
}

// relabel names the operation an *Error is reported for.
func relabel(err error, op string) error {
	var e *Error
	if errors.As(err, &e) {
		c := *e
		c.Op = op
		return &c
	}
	return err
}

// classifyEngine tells the kind of an error the engine reported while
// pushing or pulling: it arrives as text, after the engine's own retries.
func classifyEngine(msg string) Kind {
	m := strings.ToLower(msg)
	switch {
	case strings.Contains(m, "unauthorized"), strings.Contains(m, "authentication required"),
		strings.Contains(m, "denied"), strings.Contains(m, "no basic auth credentials"):
		return KindUnauthorized
	case strings.Contains(m, "manifest unknown"), strings.Contains(m, "not found"):
		return KindNotFound
	case strings.Contains(m, "no such host"):
		return KindUnknownHost
	case strings.Contains(m, "x509:"), strings.Contains(m, "certificate"):
		return KindTLS
	case strings.Contains(m, "connection refused"), strings.Contains(m, "timeout"),
		strings.Contains(m, "503 service unavailable"), strings.Contains(m, "502 bad gateway"),
		strings.Contains(m, "connection reset"), strings.Contains(m, "toomanyrequests"):
		return KindUnavailable
	}
	return KindOther
}
