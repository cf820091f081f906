package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The guide's own pipeline (section 10.1), unchanged.
const guidePipeline = `stages:
  - lint
  - test
  - build
  - deploy

variables:
  DJANGO_SETTINGS_MODULE: config.settings.test

lint:
  stage: lint
  script:
    - pip install -r requirements-dev.txt
    - ruff check .
    - black --check .

test:
  stage: test
  script:
    - pip install -r requirements-dev.txt
    - pytest --maxfail=1 --disable-warnings -q
    - coverage run -m pytest
    - coverage report
    - python manage.py check

build:
  stage: build
  script:
    - docker build -t registry.example.com/gardel-backend:$CI_COMMIT_SHA backend
    - docker push registry.example.com/gardel-backend:$CI_COMMIT_SHA
  only:
    - main
    - develop

deploy_prod:
  stage: deploy
  script:
    - ssh user@server "cd /srv/gardel && ./deploy.sh $CI_COMMIT_SHA"
  when: manual
  only:
    - main
`

// TestListGuidePipeline checks what the guide says each branch gets:
// feature branches lint and test; develop also builds; main also has the
// manual production deploy.
func TestListGuidePipeline(t *testing.T) {
	dir := writeFiles(t, map[string]string{".gitlab-ci.yml": guidePipeline})
	gitRepo(t, dir, "feature/login")
	tests := []struct {
		args []string
		want []listedJob
	}{
		{nil, []listedJob{
			{Name: "lint", Stage: "lint", When: "on_success", Needs: []string{}, ImplicitNeeds: true},
			{Name: "test", Stage: "test", When: "on_success", Needs: []string{"lint"}, ImplicitNeeds: true},
		}},
		{[]string{"--ref", "develop"}, []listedJob{
			{Name: "lint", Stage: "lint", When: "on_success", Needs: []string{}, ImplicitNeeds: true},
			{Name: "test", Stage: "test", When: "on_success", Needs: []string{"lint"}, ImplicitNeeds: true},
			{Name: "build", Stage: "build", When: "on_success", Needs: []string{"lint", "test"}, ImplicitNeeds: true},
		}},
		{[]string{"--ref", "main", "--job", "deploy_prod", "--needs", "--manual", "deploy_prod"}, []listedJob{
			{Name: "lint", Stage: "lint", When: "on_success", Needs: []string{}, ImplicitNeeds: true},
			{Name: "test", Stage: "test", When: "on_success", Needs: []string{"lint"}, ImplicitNeeds: true},
			{Name: "build", Stage: "build", When: "on_success", Needs: []string{"lint", "test"}, ImplicitNeeds: true},
			{Name: "deploy_prod", Stage: "deploy", When: "manual", AllowFailure: true, Needs: []string{"lint", "test", "build"}, ImplicitNeeds: true, Played: true},
		}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			if diff := cmp.Diff(tt.want, listJobs(t, dir, tt.args...)); diff != "" {
				t.Errorf("jobs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListText(t *testing.T) {
	dir := writeFiles(t, map[string]string{".gitlab-ci.yml": guidePipeline})
	gitRepo(t, dir, "main")
	code, out, errOut := run(t, "list", "-C", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"JOB", "deploy_prod", "manual", "(stages)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestListNoPipeline(t *testing.T) {
	dir := writeFiles(t, map[string]string{".gitlab-ci.yml": "workflow:\n  rules:\n    - if: $CI_COMMIT_TAG\njob:\n  script: [x]\n"})
	gitRepo(t, dir, "main")
	code, out, errOut := run(t, "list", "-C", dir)
	if code != 0 || !strings.Contains(errOut, "workflow:rules") || strings.Contains(out, "job") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	dir = writeFiles(t, map[string]string{".gitlab-ci.yml": guidePipeline})
	gitRepo(t, dir, "main")
	if code, _, errOut := run(t, "list", "-C", dir, "--job", "nope"); code != ExitInvalid {
		t.Errorf("unknown --job: exit %d, %s", code, errOut)
	}
}

// listJobs runs `gantry list --json -C dir args...`, which must succeed,
// and returns the jobs it lists.
func listJobs(t *testing.T, dir string, args ...string) []listedJob {
	t.Helper()
	code, out, errOut := run(t, append([]string{"list", "--json", "-C", dir}, args...)...)
	if code != 0 {
		t.Fatalf("list %v: exit %d: %s", args, code, errOut)
	}
	var got struct{ Jobs []listedJob }
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("list %v: %v\n%s", args, err, out)
	}
	return got.Jobs
}
