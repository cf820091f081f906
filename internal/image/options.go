package image

import (
	"net/http"
	"time"

	"github.com/docker/docker/client"

	"github.com/gantry-ci/gantry/internal/registryauth"
)

// Defaults of the options.
const (
	// DefaultAttempts is how many times a transient registry failure
	// (connection refused, timeout, 429, 5xx) is tried before giving up.
	DefaultAttempts = 4
	// DefaultBackoff is the wait after the first failed attempt; it doubles
	// after each further one, up to DefaultMaxBackoff. With the defaults a
	// registry that stays down is reported after about 1.75 s of waiting.
	DefaultBackoff    = 250 * time.Millisecond
	DefaultMaxBackoff = 2 * time.Second
	// DefaultDialTimeout bounds the TCP connect and TLS handshake to a
	// registry, so that an unreachable host fails within the retry budget.
	DefaultDialTimeout = 5 * time.Second
	// DefaultCertsDir is where Docker looks for a registry's CA certificates
	// (<dir>/<host:port>/*.crt); gantry trusts the same files.
	DefaultCertsDir = "/etc/docker/certs.d"
)

// Retry is the retry budget for transient registry failures.
type Retry struct {
	// Attempts is the total number of tries (1: no retry).
	Attempts int
	// Backoff is the first wait; it doubles up to MaxBackoff.
	Backoff, MaxBackoff time.Duration
}

// DefaultRetry is the budget used when no WithRetry option is given.
var DefaultRetry = Retry{Attempts: DefaultAttempts, Backoff: DefaultBackoff, MaxBackoff: DefaultMaxBackoff}

// Option configures an operation of this package.
type Option func(*options)

type options struct {
	creds     []Credentials
	transport http.RoundTripper
	caFiles   []string
	certsDir  string
	retry     Retry
	docker    *client.Client
	dockerURL string
	// res is made from creds by resolver, once per call: a push asks it
	// for the registry client and again for the engine.
	res *registryauth.Resolver
}

// resolver returns the credentials' resolver (see WithCredentials).
func (o *options) resolver() (*registryauth.Resolver, error) {
	if o.res == nil {
		r, err := registryauth.NewResolver(o.creds...)
		if err != nil {
			return nil, err
		}
		o.res = r
	}
	return o.res, nil
}

func makeOptions(opts []Option) *options {
	o := &options{retry: DefaultRetry, certsDir: DefaultCertsDir}
	for _, opt := range opts {
		opt(o)
	}
	if o.retry.Attempts < 1 {
		o.retry.Attempts = 1
	}
	return o
}

// WithCredentials sets where registry credentials come from (see
// Credentials): each source in order (a job's variables before a
// runner's), then the docker config file. Without it only the docker
// config file is consulted.
func WithCredentials(sources ...Credentials) Option {
	return func(o *options) { o.creds = sources }
}

// WithTransport sets the HTTP transport to registries, replacing the one
// built from the system roots, WithCAFile and the certs directory. Tests
// use it to trust the CA of the registry they start.
func WithTransport(rt http.RoundTripper) Option {
	return func(o *options) { o.transport = rt }
}

// WithCAFile adds PEM CA certificates that registries' TLS certificates
// may chain to, besides the system roots.
func WithCAFile(path string) Option {
	return func(o *options) { o.caFiles = append(o.caFiles, path) }
}

// WithCertsDir sets Docker's per-registry CA directory (default
// DefaultCertsDir; empty disables it).
func WithCertsDir(dir string) Option {
	return func(o *options) { o.certsDir = dir }
}

// WithRetry sets the retry budget for transient registry failures.
func WithRetry(r Retry) Option {
	return func(o *options) { o.retry = r }
}

// WithDockerHost sets the engine's address (unix:///var/run/docker.sock,
// tcp://host:2376) for Build and Push; empty means DOCKER_HOST and the
// other DOCKER_* variables, as the docker CLI reads them.
func WithDockerHost(host string) Option {
	return func(o *options) { o.dockerURL = host }
}

// WithDockerClient makes Build and Push use an existing engine client.
func WithDockerClient(c *client.Client) Option {
	return func(o *options) { o.docker = c }
}
