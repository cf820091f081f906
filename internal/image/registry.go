package image

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// userAgent names gantry to registries, whose logs then tell its requests
// from the engine's.
const userAgent = "gantry"

// registryClient holds what talking to one registry needs.
type registryClient struct {
	o  *options
	kc authn.Keychain
	rt http.RoundTripper
}

func newRegistryClient(o *options, registry string) (*registryClient, error) {
	res, err := o.resolver()
	if err != nil {
		return nil, err
	}
	kc := res.Keychain()
	rt := o.transport
	if rt == nil {
		rt, err = o.registryTransport(registry)
		if err != nil {
			return nil, err
		}
	}
	return &registryClient{o: o, kc: kc, rt: &httpsOnly{inner: rt, host: registry}}, nil
}

// httpsOnly sends the requests to one registry over HTTPS.
// go-containerregistry, like the docker engine, talks plain HTTP to
// loopback and private-network registries; gantry does not downgrade the
// connection that carries its credentials, wherever the registry is.
type httpsOnly struct {
	inner http.RoundTripper
	host  string
}

func (t *httpsOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && req.URL.Host == t.host {
		// RoundTrippers must not modify the request they are given.
		req = req.Clone(req.Context())
		req.URL.Scheme = "https"
	}
	return t.inner.RoundTrip(req)
}

// remoteOptions are the go-containerregistry options of a call. Its own
// retries are off: do retries whole operations within one budget, and
// classifies what is left.
func (c *registryClient) remoteOptions(ctx context.Context) []remote.Option {
	return []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(c.kc),
		remote.WithTransport(c.rt),
		remote.WithUserAgent(userAgent),
		remote.WithRetryBackoff(remote.Backoff{Steps: 1}),
		remote.WithRetryPredicate(func(error) bool { return false }),
	}
}

// do runs fn, retrying transient failures with exponential backoff within
// the retry budget, and returns an *Error that says what failed.
func (o *options) do(ctx context.Context, op string, ref name.Reference, fn func() error) error {
	wait := o.retry.Backoff
	var err error
	attempt := 0
	for attempt < o.retry.Attempts {
		attempt++
		err = fn()
		if err == nil {
			return nil
		}
		if classify(err) != KindUnavailable || attempt == o.retry.Attempts || ctx.Err() != nil {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return wrapErr(op, ref, attempt, ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, o.retry.MaxBackoff)
	}
	return wrapErr(op, ref, attempt, err)
}

func wrapErr(op string, ref name.Reference, attempts int, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Op: op, Ref: ref.String(), Host: ref.Context().RegistryStr(), Kind: classify(err), Attempts: attempts, Err: err}
}

// registryTransport trusts the system roots, the CA files given and
// Docker's per-registry CA directory, and bounds connection set-up so that
// an unreachable registry fails within the retry budget.
func (o *options) registryTransport(registry string) (http.RoundTripper, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	files := append([]string(nil), o.caFiles...)
	if o.certsDir != "" {
		// Docker reads *.crt there as CAs; a missing directory is the norm.
		found, _ := filepath.Glob(filepath.Join(o.certsDir, registry, "*.crt")) // only ErrBadPattern, impossible here
		files = append(files, found...)
	}
	for _, f := range files {
		pem, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("registry CA: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("registry CA %s: no PEM certificate in it", f)
		}
	}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: DefaultDialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   DefaultDialTimeout,
		ResponseHeaderTimeout: 30 * time.Second,
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
	}, nil
}

// parseRef parses an image reference as docker does (no registry means
// Docker Hub, no tag means latest); 127.0.0.1 and localhost registries
// are reached over HTTPS like the others.
func parseRef(ref string) (name.Reference, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("image reference %q: %w (hint: registry.example.com/group/app:tag)", ref, err)
	}
	return r, nil
}
