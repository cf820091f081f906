package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
)

// Pull has the engine pull ref, sending the credentials the options give
// for its registry (WithCredentials, then the docker config file), and
// writes its progress to log as one line per layer. Transient failures
// are retried within the retry budget (WithRetry).
//
// Errors are *Error with Op "pull": errors.Is(err, ErrUnauthorized) when
// the registry refused, with Error.Credentials saying whether credentials
// were sent and from where; ErrNotFound when the image does not exist;
// ErrUnavailable, ErrUnknownHost, ErrTLS as for Resolve. Failures to reach
// the engine itself are plain errors.
func Pull(ctx context.Context, ref string, log io.Writer, opts ...Option) error {
	o := makeOptions(opts)
	r, err := parseRef(ref)
	if err != nil {
		return fmt.Errorf("pull: %w", err)
	}
	cli, err := o.engine()
	if err != nil {
		return err
	}
	if o.docker == nil {
		defer cli.Close()
	}
	host := r.Context().RegistryStr()
	auth, source, err := o.engineAuth(ctx, host)
	if err != nil {
		return fmt.Errorf("pull %s: %w", ref, err)
	}
	var reach error // the engine did not answer: no registry error to explain
	err = o.do(ctx, "pull", r, func() error {
		// The engine gets the reference as written: it resolves short
		// names ("busybox") itself, as docker pull does.
		rc, err := cli.ImagePull(ctx, ref, image.PullOptions{RegistryAuth: auth})
		if err != nil {
			if client.IsErrConnectionFailed(err) {
				reach = engineErr("pull "+ref, cli, err)
				return nil
			}
			return pullErr(err)
		}
		defer rc.Close()
		p := newLayerPrinter(log)
		return readStream(rc, func(m *message) error {
			p.print(m)
			return nil
		})
	})
	if reach != nil {
		return reach
	}
	if err != nil {
		return sentCredentials(err, source)
	}
	return nil
}

// pullErr makes the engine's answer to a pull request, which carries the
// registry's refusal as text, an engineError that classify reads.
func pullErr(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	// The *Error that wraps this says it is the registry's answer.
	msg := strings.TrimPrefix(err.Error(), "Error response from daemon: ")
	switch {
	case cerrdefs.IsNotFound(err):
		return &engineError{msg: msg, kind: KindNotFound}
	case cerrdefs.IsUnauthorized(err), cerrdefs.IsPermissionDenied(err):
		return &engineError{msg: msg, kind: KindUnauthorized}
	}
	return &engineError{msg: msg}
}
