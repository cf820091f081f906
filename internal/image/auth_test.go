package image

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

func TestKeychain(t *testing.T) {
	t.Setenv("HOME", t.TempDir()) // no ~/.docker/config.json
	t.Setenv("DOCKER_CONFIG", "")
	basic := base64.StdEncoding.EncodeToString([]byte("deployer:from-auth-config"))
	creds := Credentials{
		DockerAuthConfig: `{"auths": {"https://registry.example.com/v1/": {"auth": "` + basic + `"}}}`,
		Registry:         "registry.gitlab.example.com",
		Username:         "gitlab-ci-token",
		Password:         "job-token",
	}
	tests := []struct {
		ref, user, pass string
	}{
		{"registry.example.com/app:1", "deployer", "from-auth-config"},
		{"registry.gitlab.example.com/group/app:1", "gitlab-ci-token", "job-token"},
		{"other.example.com/app:1", "", ""},
	}
	kc, err := newKeychain(creds)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			ref, err := name.ParseReference(tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			a, err := kc.Resolve(ref.Context())
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := a.Authorization()
			if err != nil {
				t.Fatal(err)
			}
			user, pass := cfg.Username, cfg.Password
			if user == "" && cfg.Auth != "" {
				user, pass, _ = decodeAuth(cfg.Auth)
			}
			if user != tt.user || pass != tt.pass {
				t.Errorf("credentials %q/%q, want %q/%q", user, pass, tt.user, tt.pass)
			}
			if tt.user == "" && a != authn.Anonymous {
				t.Errorf("want anonymous, got %v", a)
			}
		})
	}
	secrets := creds.Secrets()
	for _, s := range []string{"job-token", "from-auth-config", basic} {
		if !slices.Contains(secrets, s) {
			t.Errorf("Secrets() lacks %q", s)
		}
	}
}

func TestBadDockerAuthConfigHidesIt(t *testing.T) {
	_, err := newKeychain(Credentials{DockerAuthConfig: `{"auths": {"x": {"auth": "c2VjcmV0"}`})
	if err == nil || strings.Contains(err.Error(), "c2VjcmV0") {
		t.Errorf("err = %v", err)
	}
}

func TestDefaultTag(t *testing.T) {
	if got, err := DefaultTag("registry.example.com/gardel/backend", "abc123"); err != nil || got != "registry.example.com/gardel/backend:abc123" {
		t.Errorf("DefaultTag = %q, %v", got, err)
	}
	if _, err := DefaultTag("", ""); err == nil || !strings.Contains(err.Error(), "CI_COMMIT_SHA and CI_REGISTRY_IMAGE") {
		t.Errorf("DefaultTag without variables: %v", err)
	}
}

func FuzzDockerAuthConfig(f *testing.F) {
	f.Add(`{"auths": {"registry.example.com": {"auth": "dXNlcjpwYXNz"}}}`)
	f.Add(`{"credHelpers": {"gcr.io": "gcr"}, "credsStore": "desktop"}`)
	f.Add(`{"auths": {"x": {"username": "u", "password": "p", "identitytoken": "t"}}}`)
	f.Fuzz(func(t *testing.T, s string) {
		c := Credentials{DockerAuthConfig: s}
		for _, secret := range c.Secrets() {
			if secret == "" {
				t.Fatal("empty secret would mask nothing but costs a scan")
			}
		}
		if _, err := newKeychain(c); err != nil && strings.Contains(err.Error(), "c2VjcmV0") {
			t.Fatalf("error quotes the value: %v", err)
		}
	})
}
