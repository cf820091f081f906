package registryauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/registry"
	"github.com/google/go-cmp/cmp"
)

// isolate points the docker config file at a directory of the test's, with
// cfg as its config.json when cfg is not empty.
func isolate(t *testing.T, cfg string) {
	t.Helper()
	t.Setenv("HOME", t.TempDir()) // no ~/.docker/config.json
	dir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dir)
	if cfg != "" {
		if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func basic(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}

// decoded is an X-Registry-Auth header read back.
type decoded struct {
	User, Pass, Token, Server string
}

func decodeHeader(t *testing.T, h string) decoded {
	t.Helper()
	if h == "" {
		return decoded{}
	}
	b, err := base64.URLEncoding.DecodeString(h)
	if err != nil {
		t.Fatalf("header is not base64url: %v", err)
	}
	var a registry.AuthConfig
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatal(err)
	}
	return decoded{User: a.Username, Pass: a.Password, Token: a.IdentityToken, Server: a.ServerAddress}
}

// checkAuth checks where a's credentials came from and the header it
// sends.
func checkAuth(t *testing.T, a Auth, source Source, want decoded) {
	t.Helper()
	if a.Source != source {
		t.Errorf("source %q, want %q", a.Source, source)
	}
	h, err := a.Header()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, decodeHeader(t, h)); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
}

// TestForImage checks the order GitLab Runner uses: the job's
// DOCKER_AUTH_CONFIG, then its CI_REGISTRY credentials for the project's
// registry, then the runner's own sources, then the docker config file.
func TestForImage(t *testing.T) {
	isolate(t, `{"auths": {"file.example.com": {"auth": "`+basic("file-user", "file-pass")+`"},
		"both.example.com": {"auth": "`+basic("file-user", "file-pass")+`"}}}`)
	job := Credentials{
		DockerAuthConfig: `{"auths": {"https://registry.example.com/v1/": {"auth": "` + basic("deployer", "from-auth-config") + `"},
			"both.example.com:5000": {"username": "job-user", "password": "job-pass"}}}`,
		Registry: "registry.gitlab.example.com",
		Username: "gitlab-ci-token",
		Password: "job-token",
	}
	runner := Credentials{
		DockerAuthConfig: `{"auths": {"runner.example.com": {"auth": "` + basic("runner-user", "runner-pass") + `"},
			"registry.gitlab.example.com": {"auth": "` + basic("runner-user", "runner-pass") + `"}}}`,
	}
	r, err := NewResolver(job, runner)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, ref string
		source    Source
		want      decoded
	}{
		{"job DOCKER_AUTH_CONFIG", "registry.example.com/app:1", SourceDockerAuthConfig,
			decoded{User: "deployer", Pass: "from-auth-config", Server: "registry.example.com"}},
		{"job CI_REGISTRY beats the runner", "registry.gitlab.example.com/group/app:1", SourceCIRegistry,
			decoded{User: "gitlab-ci-token", Pass: "job-token", Server: "registry.gitlab.example.com"}},
		{"runner DOCKER_AUTH_CONFIG", "runner.example.com/app", SourceDockerAuthConfig,
			decoded{User: "runner-user", Pass: "runner-pass", Server: "runner.example.com"}},
		{"docker config file", "file.example.com/app@sha256:" + strings.Repeat("a", 64), SourceDockerConfig,
			decoded{User: "file-user", Pass: "file-pass", Server: "file.example.com"}},
		{"port is part of the registry", "both.example.com:5000/app", SourceDockerAuthConfig,
			decoded{User: "job-user", Pass: "job-pass", Server: "both.example.com:5000"}},
		{"unknown registry", "other.example.com/app:1", SourceNone, decoded{}},
		{"docker hub", "busybox", SourceNone, decoded{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := r.ForImage(context.Background(), tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			checkAuth(t, a, tt.source, tt.want)
			for _, s := range []string{fmt.Sprint(a), fmt.Sprintf("%+v", a), fmt.Sprintf("%#v", a)} {
				if tt.want.Pass != "" && strings.Contains(s, tt.want.Pass) {
					t.Errorf("printing the Auth shows the password: %s", s)
				}
			}
		})
	}
}

// TestCredentialHelper runs a docker-credential-* program named in
// DOCKER_AUTH_CONFIG, as docker does.
func TestCredentialHelper(t *testing.T) {
	isolate(t, "")
	bin := t.TempDir()
	script := `#!/bin/sh
read server
case "$server" in
helper.example.com) echo '{"Username": "helper-user", "Secret": "helper-pass"}' ;;
token.example.com) echo '{"Username": "<token>", "Secret": "identity-token"}' ;;
broken.example.com) echo "helper-pass leaked in a failure"; exit 3 ;;
*) echo "credentials not found in native keychain"; exit 1 ;;
esac
`
	if err := os.WriteFile(filepath.Join(bin, "docker-credential-gantrytest"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	r, err := NewResolver(Credentials{DockerAuthConfig: `{"credsStore": "gantrytest"}`})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		host   string
		source Source
		want   decoded
		err    string
	}{
		{"helper.example.com", SourceDockerAuthConfig, decoded{User: "helper-user", Pass: "helper-pass", Server: "helper.example.com"}, ""},
		{"token.example.com", SourceDockerAuthConfig, decoded{Token: "identity-token", Server: "token.example.com"}, ""},
		{"unknown.example.com", SourceNone, decoded{}, ""},
		{"broken.example.com", SourceNone, decoded{}, "docker-credential-gantrytest for broken.example.com failed"},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			a, err := r.Lookup(context.Background(), tt.host)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || strings.Contains(err.Error(), "helper-pass") {
					t.Fatalf("err = %v, want one containing %q and no secret", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkAuth(t, a, tt.source, tt.want)
		})
	}
}

func TestKeychain(t *testing.T) {
	isolate(t, "")
	r, err := NewResolver(Credentials{Registry: "registry.example.com:5000", Username: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	kc := r.Keychain()
	for _, tt := range []struct{ registry, user, pass string }{
		{"registry.example.com:5000", "u", "p"},
		{"registry.example.com", "", ""},
	} {
		t.Run(tt.registry, func(t *testing.T) {
			a, err := kc.Resolve(registryResource(tt.registry))
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := a.Authorization()
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Username != tt.user || cfg.Password != tt.pass {
				t.Errorf("credentials %q/%q, want %q/%q", cfg.Username, cfg.Password, tt.user, tt.pass)
			}
		})
	}
}

type registryResource string

func (r registryResource) String() string      { return string(r) }
func (r registryResource) RegistryStr() string { return string(r) }

func TestSecrets(t *testing.T) {
	auth := basic("deployer", "from-auth-config")
	c := Credentials{
		DockerAuthConfig: `{"auths": {"a": {"auth": "` + auth + `"}, "b": {"identitytoken": "tok"}}}`,
		Registry:         "registry.example.com", Username: "gitlab-ci-token", Password: "job-token",
	}
	got := c.Secrets()
	for _, s := range []string{"job-token", basic("gitlab-ci-token", "job-token"), auth, "from-auth-config", "tok"} {
		if !slices.Contains(got, s) {
			t.Errorf("Secrets() lacks %q", s)
		}
	}
	if (Credentials{}).Secrets() != nil {
		t.Error("empty credentials have secrets")
	}
}

func TestBadDockerAuthConfigHidesIt(t *testing.T) {
	_, err := NewResolver(Credentials{DockerAuthConfig: `{"auths": {"x": {"auth": "c2VjcmV0"}`})
	if err == nil || strings.Contains(err.Error(), "c2VjcmV0") {
		t.Errorf("err = %v", err)
	}
}

func TestFromEnv(t *testing.T) {
	env := map[string]string{VarDockerAuthConfig: "{}", VarRegistry: "r", VarUser: "u", VarPassword: "p"}
	got := FromEnv(func(k string) string { return env[k] })
	want := Credentials{DockerAuthConfig: "{}", Registry: "r", Username: "u", Password: "p"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FromEnv (-want +got):\n%s", diff)
	}
	if got.IsZero() || !(Credentials{Registry: "r", Username: "u"}).IsZero() {
		t.Error("IsZero is wrong")
	}
}

func FuzzDockerAuthConfig(f *testing.F) {
	f.Add(`{"auths": {"registry.example.com": {"auth": "dXNlcjpwYXNz"}}}`)
	f.Add(`{"credHelpers": {"gcr.io": "gcr"}, "credsStore": "desktop"}`)
	f.Add(`{"auths": {"x": {"username": "u", "password": "p", "identitytoken": "t"}}}`)
	f.Add(`{"auths": {"x": {"auth": "c2VjcmV0"}`)
	f.Fuzz(func(t *testing.T, s string) {
		c := Credentials{DockerAuthConfig: s}
		for _, secret := range c.Secrets() {
			if secret == "" {
				t.Fatal("empty secret would mask nothing but costs a scan")
			}
		}
		if _, err := NewResolver(c); err != nil && strings.Contains(err.Error(), "c2VjcmV0") {
			t.Fatalf("error quotes the value: %v", err)
		}
	})
}
