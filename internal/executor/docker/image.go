package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/image"
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

// ensureImage makes ref available on the engine under the pull policies,
// tried in order as GitLab Runner does (a failed "always" pull falls back
// to "if-not-present" when both are listed), and returns its inspection.
// what names the image's use for messages ("job build", "service redis").
func (b *Backend) ensureImage(ctx context.Context, ref string, policies []string, what string, log io.Writer) (image.InspectResponse, error) {
	if len(policies) == 0 {
		policies = []string{PullIfNotPresent}
	}
	var errs []error
	for _, p := range policies {
		switch p {
		case PullAlways:
			if err := b.pull(ctx, ref, log); err != nil {
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
			if err := b.pull(ctx, ref, log); err != nil {
				errs = append(errs, err)
				continue
			}
			return b.inspectImage(ctx, ref)
		default:
			errs = append(errs, fmt.Errorf("unknown pull_policy %q (want always, if-not-present or never)", p))
		}
	}
	err := errors.Join(errs...)
	hint := "pull or build it first, or fix image:"
	if len(policies) == 1 && policies[0] == PullNever {
		hint = "pull_policy is never: build or pull it on the engine first"
	}
	return image.InspectResponse{}, fmt.Errorf("image %s for %s: %w (%s)", ref, what, err, hint)
}

func (b *Backend) inspectImage(ctx context.Context, ref string) (image.InspectResponse, error) {
	info, err := b.cli.ImageInspect(ctx, ref)
	if cerrdefs.IsNotFound(err) {
		return info, fmt.Errorf("%w on the engine", ErrImageNotFound)
	}
	if err != nil {
		return info, fmt.Errorf("inspect image: %w", err)
	}
	return info, nil
}

// pull pulls ref, writing one line when it starts and one when it ends.
func (b *Backend) pull(ctx context.Context, ref string, log io.Writer) error {
	fmt.Fprintf(log, "Pulling docker image %s ...\n", ref)
	rc, err := b.cli.ImagePull(ctx, ref, image.PullOptions{})
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return fmt.Errorf("pull: %w: %v", ErrImageNotFound, err)
		}
		return fmt.Errorf("pull: %w", err)
	}
	defer rc.Close()
	// The engine reports a failed pull inside the stream, not as a status.
	dec := json.NewDecoder(rc)
	for {
		var m struct {
			Status string `json:"status"`
			Error  string `json:"error"`
		}
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			return fmt.Errorf("pull: read progress: %w", err)
		}
		if m.Error != "" {
			if strings.Contains(m.Error, "not found") || strings.Contains(m.Error, "does not exist") {
				return fmt.Errorf("pull: %w: %s", ErrImageNotFound, m.Error)
			}
			return fmt.Errorf("pull: %s", m.Error)
		}
	}
	return nil
}

// shortID is the 12-hex-digit image ID docker shows.
func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		id = id[:12]
	}
	return id
}
