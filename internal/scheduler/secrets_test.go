package scheduler

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gantry-ci/gantry/internal/plan"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestCredentialSecrets(t *testing.T) {
	authConfig := `{"auths": {"reg.example.com": {"auth": "` + b64("bot:auth-config-pw") + `"}, "other.example.com": {"username": "u", "password": "other-pw-123", "identitytoken": "id-token-456"}}}`
	tests := []struct {
		name    string
		vars    []plan.Variable
		secrets []string
		short   []string
	}{
		{name: "none", vars: []plan.Variable{{Name: "PLAIN", Value: "visible-value"}}},
		{
			name:    "job token and deploy password",
			vars:    []plan.Variable{{Name: "CI_JOB_TOKEN", Value: "glcbt-0123456789"}, {Name: "CI_DEPLOY_PASSWORD", Value: "deploy-pw-abc"}},
			secrets: []string{"glcbt-0123456789", "deploy-pw-abc"},
		},
		{
			name:    "registry password and its basic auth",
			vars:    []plan.Variable{{Name: "CI_REGISTRY_USER", Value: "gitlab-ci-token"}, {Name: "CI_REGISTRY_PASSWORD", Value: "hunter2-registry"}},
			secrets: []string{"hunter2-registry", b64("gitlab-ci-token:hunter2-registry")},
		},
		{
			name:    "the later value wins",
			vars:    []plan.Variable{{Name: "CI_REGISTRY_PASSWORD", Value: "first-value-xx"}, {Name: "CI_REGISTRY_PASSWORD", Value: "second-value-yy"}},
			secrets: []string{"second-value-yy", b64(":second-value-yy")},
		},
		{
			name: "parts of DOCKER_AUTH_CONFIG, not the document",
			vars: []plan.Variable{{Name: "DOCKER_AUTH_CONFIG", Value: authConfig}},
			secrets: []string{b64("bot:auth-config-pw"), "auth-config-pw", "other-pw-123", b64("u:other-pw-123"),
				"id-token-456"},
		},
		{
			name:    "a DOCKER_AUTH_CONFIG that is not JSON gives nothing",
			vars:    []plan.Variable{{Name: "DOCKER_AUTH_CONFIG", Value: `{"auths": `}},
			secrets: nil,
		},
		{
			name: "too short to mask unmarked",
			vars: []plan.Variable{{Name: "CI_REGISTRY_USER", Value: "u"}, {Name: "CI_REGISTRY_PASSWORD", Value: "pw"}},
			// The basic auth is long enough to mask without garbling.
			secrets: []string{b64("u:pw")},
			short:   []string{"CI_REGISTRY_PASSWORD"},
		},
		{
			name:    "short but masked by the user: the masker has it already",
			vars:    []plan.Variable{{Name: "CI_JOB_TOKEN", Value: "tok", Masked: true}},
			secrets: nil,
		},
		{
			name:    "masked by the user: the basic auth is still added",
			vars:    []plan.Variable{{Name: "CI_REGISTRY_USER", Value: "bot"}, {Name: "CI_REGISTRY_PASSWORD", Value: "masked-pw-123", Masked: true}},
			secrets: []string{b64("bot:masked-pw-123")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secrets, short := CredentialSecrets(tt.vars)
			sortStrings := cmpopts.SortSlices(func(a, b string) bool { return a < b })
			if d := cmp.Diff(tt.secrets, secrets, sortStrings, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("secrets (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.short, short, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("short (-want +got):\n%s", d)
			}
		})
	}
}

// TestShellCredentialsMasked: credentials a job gets by name are masked in
// its log though nobody marked them, and a too-short one is named once.
func TestShellCredentialsMasked(t *testing.T) {
	const token, password = "job-token-0123456789", "registry-pw-abcdef"
	authConfig := `{"auths": {"reg.example.com": {"auth": "` + b64("bot:dac-password-42") + `"}}}`
	p := mkPlan(stages3, tj("leak", "build",
		variable("CI_JOB_TOKEN", token, false), variable("CI_REGISTRY_USER", "bot", false),
		variable("CI_REGISTRY_PASSWORD", password, false), variable("DOCKER_AUTH_CONFIG", authConfig, false),
		variable("CI_DEPLOY_PASSWORD", "pw", false),
		shellScript(`echo "token=$CI_JOB_TOKEN"`, `echo "password=$CI_REGISTRY_PASSWORD"`,
			`printf '%s' "$CI_REGISTRY_USER:$CI_REGISTRY_PASSWORD" | base64 -w0; echo`,
			`echo "config=$DOCKER_AUTH_CONFIG"`, `echo "short=$CI_DEPLOY_PASSWORD"`)))
	res, rec := runPlan(t, Config{Backend: shellBackend()}, p)
	log := rec.log("leak")
	if res.Jobs[0].Status != StatusSuccess {
		t.Fatalf("status %s: %s", res.Jobs[0].Status, log)
	}
	for _, secret := range []string{token, password, b64("bot:" + password), b64("bot:dac-password-42")} {
		if strings.Contains(log, secret) {
			t.Errorf("log shows %q:\n%s", secret, log)
		}
	}
	for _, want := range []string{"token=[MASKED]", "password=[MASKED]", "\n[MASKED]\n",
		`config={"auths": {"reg.example.com": {"auth": "[MASKED]"}}}`, "short=pw"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	var short []string
	for _, e := range rec.of(KindJobNotice, "leak") {
		if strings.Contains(e.Text, "shorter than 8") {
			short = append(short, e.Text)
		}
	}
	want := []string{"WARNING: CI_DEPLOY_PASSWORD: shorter than 8 characters, not masked in this log (mark the variable masked to mask it anyway)"}
	if d := cmp.Diff(want, short); d != "" {
		t.Errorf("notices about short credentials (-want +got):\n%s", d)
	}
}
