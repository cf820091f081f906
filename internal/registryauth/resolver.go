package registryauth

import (
	"context"
	"fmt"

	"github.com/docker/docker/api/types/registry"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// Source says where the credentials for a registry came from, for
// messages that must explain a refusal without showing the secret.
type Source string

// Sources of credentials. SourceNone means none were found: the registry
// is accessed anonymously.
const (
	SourceNone             Source = ""
	SourceDockerAuthConfig Source = VarDockerAuthConfig
	SourceCIRegistry       Source = VarUser + "/" + VarPassword
	SourceDockerConfig     Source = "the docker config file"
)

// dockerHubServer is the server address docker uses for Docker Hub.
const dockerHubServer = "https://index.docker.io/v1/"

// Auth is what to send to one registry. Its String never shows the secret.
type Auth struct {
	// Registry is the registry's host[:port], as in image references
	// (index.docker.io for Docker Hub).
	Registry string
	// Source is where the credentials came from; SourceNone when there
	// are none.
	Source Source
	cfg    authn.AuthConfig
}

// Anonymous reports whether a has no credentials.
func (a Auth) Anonymous() bool { return a.Source == SourceNone }

// String names the source of the credentials, never their value, so that
// an Auth printed by mistake leaks nothing.
func (a Auth) String() string {
	if a.Anonymous() {
		return "no credentials for " + a.Registry
	}
	return "credentials for " + a.Registry + " from " + string(a.Source)
}

// GoString is String, for %#v.
func (a Auth) GoString() string { return a.String() }

// Header returns the value of the engine's X-Registry-Auth header (the
// RegistryAuth of its pull and push options): "" for anonymous access.
func (a Auth) Header() (string, error) {
	if a.Anonymous() {
		return "", nil
	}
	return registry.EncodeAuthConfig(registry.AuthConfig{
		Username:      a.cfg.Username,
		Password:      a.cfg.Password,
		ServerAddress: a.Registry,
		IdentityToken: a.cfg.IdentityToken,
		RegistryToken: a.cfg.RegistryToken,
	})
}

// Authenticator returns a as go-containerregistry's authenticator.
func (a Auth) Authenticator() authn.Authenticator {
	if a.Anonymous() {
		return authn.Anonymous
	}
	return authn.FromConfig(a.cfg)
}

// Resolver finds the credentials for a registry in its sources, in order,
// then in the docker config file of the user running gantry. It is safe
// for concurrent use.
type Resolver struct {
	sources []source
}

type source struct {
	c  Credentials
	cf *dockerConfig
}

// NewResolver returns a Resolver that consults sources in order (a job's
// variables before a runner's), then the docker config file. It fails
// when a DOCKER_AUTH_CONFIG is not a docker config.json document; the
// error quotes nothing of it.
func NewResolver(sources ...Credentials) (*Resolver, error) {
	r := &Resolver{}
	for _, c := range sources {
		cf, err := parseDockerConfig(c.DockerAuthConfig)
		if err != nil {
			return nil, err
		}
		r.sources = append(r.sources, source{c: c, cf: cf})
	}
	return r, nil
}

// ForImage returns the credentials to send to the registry of the image
// reference ref ("busybox", "registry.example.com:5000/group/app:tag").
func (r *Resolver) ForImage(ctx context.Context, ref string) (Auth, error) {
	parsed, err := name.ParseReference(ref)
	if err != nil {
		return Auth{}, fmt.Errorf("image reference %q: %w", ref, err)
	}
	return r.Lookup(ctx, parsed.Context().RegistryStr())
}

// Lookup returns the credentials to send to registry (host[:port]).
func (r *Resolver) Lookup(ctx context.Context, host string) (Auth, error) {
	key := registryKey(host)
	for _, s := range r.sources {
		cfg, src, err := s.lookup(key)
		if err != nil {
			return Auth{}, err
		}
		if src != SourceNone {
			return Auth{Registry: host, Source: src, cfg: normalize(cfg)}, nil
		}
	}
	reg, err := name.NewRegistry(host)
	if err != nil {
		return Auth{}, fmt.Errorf("registry %q: %w", host, err)
	}
	// The docker config file is read at each lookup, as docker does: a
	// `docker login` meanwhile counts.
	a, err := authn.Resolve(ctx, authn.DefaultKeychain, reg)
	if err != nil {
		return Auth{}, fmt.Errorf("credentials for %s from %s: %w", host, SourceDockerConfig, err)
	}
	if a == authn.Anonymous {
		return Auth{Registry: host}, nil
	}
	cfg, err := authn.Authorization(ctx, a)
	if err != nil {
		return Auth{}, fmt.Errorf("credentials for %s from %s: %w", host, SourceDockerConfig, err)
	}
	if isEmpty(*cfg) {
		return Auth{Registry: host}, nil
	}
	return Auth{Registry: host, Source: SourceDockerConfig, cfg: normalize(*cfg)}, nil
}

// lookup finds the credentials s has for the registry host key.
func (s source) lookup(key string) (authn.AuthConfig, Source, error) {
	for k, a := range s.cf.Auths {
		if registryKey(k) == key && !isEmpty(a) {
			return a, SourceDockerAuthConfig, nil
		}
	}
	helper, ok := s.cf.CredHelpers[key]
	if !ok {
		helper = s.cf.CredsStore
	}
	if helper != "" {
		server := key
		if key == "index.docker.io" {
			server = dockerHubServer // what docker itself asks helpers for
		}
		user, secret, err := credHelper(helper).Get(server)
		if err != nil {
			return authn.AuthConfig{}, SourceNone, fmt.Errorf("%s: %w", VarDockerAuthConfig, err)
		}
		if user == "<token>" {
			// The credential helper protocol's marker of an identity token.
			return authn.AuthConfig{IdentityToken: secret}, SourceDockerAuthConfig, nil
		}
		if secret != "" {
			return authn.AuthConfig{Username: user, Password: secret}, SourceDockerAuthConfig, nil
		}
	}
	if s.c.Registry != "" && s.c.Password != "" && registryKey(s.c.Registry) == key {
		return authn.AuthConfig{Username: s.c.Username, Password: s.c.Password}, SourceCIRegistry, nil
	}
	return authn.AuthConfig{}, SourceNone, nil
}

// normalize spells a config.json "auth" out as username and password,
// which is what the engine's header carries.
func normalize(a authn.AuthConfig) authn.AuthConfig {
	if a.Username == "" && a.Password == "" && a.Auth != "" {
		if user, pass, ok := decodeAuth(a.Auth); ok {
			a.Username, a.Password = user, pass
		}
	}
	a.Auth = ""
	return a
}

func isEmpty(a authn.AuthConfig) bool {
	return a.Username == "" && a.Password == "" && a.Auth == "" && a.IdentityToken == "" && a.RegistryToken == ""
}

// Keychain returns r as a go-containerregistry keychain.
func (r *Resolver) Keychain() authn.Keychain { return keychain{r} }

type keychain struct{ r *Resolver }

// Resolve implements authn.Keychain.
func (k keychain) Resolve(target authn.Resource) (authn.Authenticator, error) {
	return k.ResolveContext(context.Background(), target)
}

// ResolveContext implements authn.ContextKeychain.
func (k keychain) ResolveContext(ctx context.Context, target authn.Resource) (authn.Authenticator, error) {
	a, err := k.r.Lookup(ctx, target.RegistryStr())
	if err != nil {
		return nil, err
	}
	return a.Authenticator(), nil
}
