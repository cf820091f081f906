package plan

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/gitrepo"
	"github.com/google/go-cmp/cmp"
)

func asMap(vs []Variable) map[string]string {
	m := map[string]string{}
	for _, v := range vs {
		m[v.Name] = v.Value
	}
	return m
}

func TestPredefinedBranch(t *testing.T) {
	got := asMap(Predefined(testRepo, Trigger{Ref: "Feature/Login_Page"}, WithPipelineID(1234, 56), WithCreatedAt(time.Date(2024, 2, 3, 4, 5, 6, 0, time.UTC))))
	want := map[string]string{
		"CI": "true", "GITLAB_CI": "true", "CI_SERVER": "yes", "CI_CONFIG_PATH": ".gitlab-ci.yml",
		"CI_SERVER_URL": "https://gitlab.com", "CI_SERVER_HOST": "gitlab.com", "CI_SERVER_PORT": "443",
		"CI_SERVER_PROTOCOL": "https", "CI_SERVER_FQDN": "gitlab.com",
		"CI_API_V4_URL": "https://gitlab.com/api/v4", "CI_API_GRAPHQL_URL": "https://gitlab.com/api/graphql",
		"CI_PROJECT_DIR": "/src/app", "CI_PROJECT_NAME": "app", "CI_PROJECT_TITLE": "app",
		"CI_PROJECT_PATH": "group/sub/app", "CI_PROJECT_PATH_SLUG": "group-sub-app",
		"CI_PROJECT_NAMESPACE": "group/sub", "CI_PROJECT_NAMESPACE_SLUG": "group-sub", "CI_PROJECT_ROOT_NAMESPACE": "group",
		"CI_PROJECT_URL": "https://gitlab.com/group/sub/app", "CI_DEFAULT_BRANCH": "main",
		"CI_REGISTRY": "registry.gitlab.com", "CI_REGISTRY_IMAGE": "registry.gitlab.com/group/sub/app",
		"CI_COMMIT_SHA": testRepo.SHA, "CI_COMMIT_SHORT_SHA": "01234567",
		"CI_COMMIT_REF_NAME": "Feature/Login_Page", "CI_COMMIT_REF_SLUG": "feature-login-page",
		"CI_COMMIT_BRANCH": "Feature/Login_Page", "CI_COMMIT_REF_PROTECTED": "false",
		"CI_COMMIT_MESSAGE": "Commit Title\n\nMore commit text\n", "CI_COMMIT_TITLE": "Commit Title",
		"CI_COMMIT_DESCRIPTION": "\nMore commit text", "CI_COMMIT_AUTHOR": "Testersen <test@test.com>",
		"CI_COMMIT_BEFORE_SHA": testRepo.Parent, "CI_COMMIT_TIMESTAMP": "2020-01-05T00:00:00Z",
		"GITLAB_USER_NAME": "Testersen", "GITLAB_USER_EMAIL": "test@test.com", "GITLAB_USER_LOGIN": "test",
		"CI_PIPELINE_SOURCE": "push", "CI_PIPELINE_ID": "1234", "CI_PIPELINE_IID": "56",
		"CI_PIPELINE_URL": "https://gitlab.com/group/sub/app/-/pipelines/1234", "CI_PIPELINE_CREATED_AT": "2024-02-03T04:05:06Z",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestPredefinedKinds(t *testing.T) {
	tests := []struct {
		name    string
		repo    gitrepo.Info
		t       Trigger
		opts    []Option
		want    map[string]string
		missing []string
	}{
		{
			name:    "tag",
			repo:    testRepo,
			t:       Trigger{Ref: "v1.2.0", Tag: true},
			want:    map[string]string{"CI_COMMIT_TAG": "v1.2.0", "CI_COMMIT_REF_NAME": "v1.2.0", "CI_COMMIT_REF_SLUG": "v1-2-0", "CI_COMMIT_REF_PROTECTED": "false", "CI_COMMIT_BEFORE_SHA": gitrepo.ZeroSHA},
			missing: []string{"CI_COMMIT_BRANCH"},
		},
		{
			name: "ref from a detached tag checkout",
			repo: func() gitrepo.Info { r := testRepo; r.Branch, r.Tag, r.Detached = "", "v9", true; return r }(),
			want: map[string]string{"CI_COMMIT_TAG": "v9", "CI_COMMIT_REF_NAME": "v9"},
		},
		{
			name: "default branch is protected",
			repo: testRepo,
			want: map[string]string{"CI_COMMIT_BRANCH": "main", "CI_COMMIT_REF_PROTECTED": "true"},
		},
		{
			name: "web run has no before sha",
			repo: testRepo,
			t:    Trigger{Ref: "main", Source: "web"},
			opts: []Option{WithProtected(false)},
			want: map[string]string{"CI_PIPELINE_SOURCE": "web", "CI_COMMIT_BEFORE_SHA": gitrepo.ZeroSHA, "CI_COMMIT_REF_PROTECTED": "false"},
		},
		{
			name: "merge request",
			repo: testRepo,
			t: Trigger{Ref: "feature", Source: "merge_request_event", MergeRequest: &MergeRequest{
				ID: 99, IID: 7, Title: "Add login", Labels: []string{"backend", "ready"},
				SourceBranch: "feature", TargetBranch: "main", TargetBranchSHA: "abc",
			}},
			want: map[string]string{
				"CI_COMMIT_REF_NAME": "feature", "CI_MERGE_REQUEST_IID": "7", "CI_MERGE_REQUEST_ID": "99",
				"CI_MERGE_REQUEST_TITLE": "Add login", "CI_MERGE_REQUEST_LABELS": "backend,ready",
				"CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feature", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
				"CI_MERGE_REQUEST_EVENT_TYPE": "detached", "CI_MERGE_REQUEST_PROJECT_PATH": "group/sub/app",
				"CI_MERGE_REQUEST_SOURCE_PROJECT_PATH": "group/sub/app", "CI_MERGE_REQUEST_REF_PATH": "refs/merge-requests/7/head",
				"CI_OPEN_MERGE_REQUESTS": "group/sub/app!7", "CI_COMMIT_BEFORE_SHA": gitrepo.ZeroSHA,
			},
			missing: []string{"CI_COMMIT_BRANCH", "CI_COMMIT_TAG"},
		},
		{
			name:    "no remote",
			repo:    func() gitrepo.Info { r := testRepo; r.Remote = gitrepo.Remote{}; r.Dir = "/home/me/My-App"; return r }(),
			opts:    []Option{WithProjectDir("/builds/x")},
			want:    map[string]string{"CI_PROJECT_NAME": "My-App", "CI_PROJECT_PATH": "My-App", "CI_PROJECT_NAMESPACE": "", "CI_SERVER_URL": "http://localhost", "CI_SERVER_PORT": "80", "CI_PROJECT_URL": "http://localhost/My-App", "CI_REGISTRY_IMAGE": "registry.localhost/my-app", "CI_PROJECT_DIR": "/builds/x"},
			missing: []string{},
		},
		{
			name: "server and registry options",
			repo: testRepo,
			opts: []Option{WithServerURL("http://[::1]:8080/"), WithRegistry("127.0.0.1:5000"), WithConfigPath("ci/pipeline.yml")},
			want: map[string]string{"CI_SERVER_HOST": "::1", "CI_SERVER_PORT": "8080", "CI_SERVER_PROTOCOL": "http", "CI_PROJECT_URL": "http://[::1]:8080/group/sub/app", "CI_REGISTRY_IMAGE": "127.0.0.1:5000/group/sub/app", "CI_CONFIG_PATH": "ci/pipeline.yml"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := asMap(Predefined(tt.repo, tt.t, tt.opts...))
			for k, v := range tt.want {
				if g, ok := got[k]; !ok || g != v {
					t.Errorf("%s = %q (set %v), want %q", k, g, ok, v)
				}
			}
			for _, k := range tt.missing {
				if _, ok := got[k]; ok {
					t.Errorf("%s is set", k)
				}
			}
		})
	}
}

func TestSlug(t *testing.T) {
	tests := map[string]string{
		"main":                         "main",
		"Feature/Login_Page":           "feature-login-page",
		"--x--":                        "x",
		"ÜberCool":                     "bercool",
		"v1.2.3":                       "v1-2-3",
		strings.Repeat("a", 70):        strings.Repeat("a", 63),
		strings.Repeat("a", 62) + "/b": strings.Repeat("a", 62),
	}
	for in, want := range tests {
		if got := Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEnvironmentSlug(t *testing.T) {
	// GitLab's own spec cases; its suffix is six base-36 characters.
	tests := map[string]string{
		"staging-12345678901234567": "staging-123456789-",
		"9-staging-123456789012345": "env-9-staging-123-",
		"staging-1234567890123456":  "staging-1234567890123456",
		"staging-1234567890123456-": "staging-123456789-",
		"production":                "production",
		"PRODUCTION":                "production-",
		"review/1-foo":              "review-1-foo-",
		"1-foo":                     "env-1-foo-",
		"1/foo":                     "env-1-foo-",
		"foo-":                      "foo",
		"foo--bar":                  "foo-bar-",
		"foo**bar":                  "foo-bar-",
		"*-foo":                     "env-foo-",
		"staging-12345678-":         "staging-12345678",
		"staging-12345678-01234567": "staging-12345678-",
	}
	suffix := regexp.MustCompile(`^[0-9a-z]{6}$`)
	for in, prefix := range tests {
		got := EnvironmentSlug(in)
		if !strings.HasSuffix(prefix, "-") {
			if got != prefix {
				t.Errorf("EnvironmentSlug(%q) = %q, want %q", in, got, prefix)
			}
			continue
		}
		if !strings.HasPrefix(got, prefix) || !suffix.MatchString(got[len(prefix):]) || len(got) > 24 {
			t.Errorf("EnvironmentSlug(%q) = %q, want %q + 6 characters", in, got, prefix)
		}
	}
	if EnvironmentSlug("review/a") == EnvironmentSlug("review-a") {
		t.Error("different names must get different slugs")
	}
}

func TestGuessTier(t *testing.T) {
	for name, want := range map[string]string{
		"production": "production", "prd": "production", "live": "production", "staging": "staging",
		"review/feature": "development", "dev": "development", "qa": "testing", "demo": "staging", "canary": "other",
	} {
		if got := GuessTier(name); got != want {
			t.Errorf("GuessTier(%q) = %q, want %q", name, got, want)
		}
	}
}
