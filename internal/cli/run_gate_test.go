package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRunCoverageGate runs testdata/run/coverage-gate.gitlab-ci.yml, whose
// jobs write real Cobertura reports, under gantry.yml's coverage gate:
// without gantry.yml nothing is gated; a report under a per-path minimum
// fails its job (reason, table in its log file) and stops later stages;
// jobs: gates a coverage: regex figure against the global minimum; an
// invalid gantry.yml stops the run before any job with exit 2.
func TestRunCoverageGate(t *testing.T) {
	tests := []struct {
		name      string
		gantryYML string // "" for no gantry.yml
		wantCode  int
		want      map[string]string
		reasons   map[string]string
		logs      map[string][]string // lines a job's log file holds
		stderr    []string
	}{
		{
			name:     "no gantry.yml",
			wantCode: ExitOK,
			want:     map[string]string{"unit": "success", "pricing": "success", "figure": "success", "package": "success"},
		},
		{
			name: "below a path minimum",
			gantryYML: `coverage:
  minimum: 80
  paths:
    "catalog/services/**": 95
    "catalog/*.py": 80
`,
			wantCode: ExitFailed,
			want:     map[string]string{"unit": "success", "pricing": "failed", "figure": "success", "package": "skipped"},
			reasons:  map[string]string{"pricing": "coverage of catalog/services/** 75% below 95% (gantry.yml:4:5)"},
			logs: map[string][]string{
				"pricing": {
					"Coverage gate: 1 below its minimum:",
					"  PATH                 LINES  RATE  MINIMUM  SET AT",
					"  catalog/services/**  3/4    75%   95%      gantry.yml:4:5",
				},
				"unit": {"Coverage gate: passed (3 minimums met)"},
			},
		},
		{
			name: "below the global minimum",
			gantryYML: `# the guide's "seuil de couverture"
coverage: {minimum: 92.5}
`,
			wantCode: ExitFailed,
			want:     map[string]string{"unit": "failed", "pricing": "failed", "figure": "success", "package": "skipped"},
			reasons: map[string]string{
				"unit":    "coverage 90% below 92.5% (gantry.yml:2:12)",
				"pricing": "coverage 90% below 92.5% (gantry.yml:2:12)",
			},
			logs: map[string][]string{"unit": {"  (all files)  9/10   90%   92.5%    gantry.yml:2:12"}},
		},
		{
			name: "a regex figure, named in jobs",
			gantryYML: `app: gardel
image: registry.example.com/gardel
environments:
  staging: {hosts: [deploy@staging.example.com], services: [web]}
coverage:
  minimum: 75
  jobs: [figure, tset]
`,
			wantCode: ExitFailed,
			want:     map[string]string{"unit": "success", "pricing": "success", "figure": "failed", "package": "skipped"},
			reasons:  map[string]string{"figure": "coverage 70% below 75% (gantry.yml:6:3)"},
			stderr:   []string{`gantry.yml:7:18: coverage: jobs: no job "tset" in the pipeline`},
		},
		{
			name:      "invalid gantry.yml",
			gantryYML: "coverage:\n  minimum: 180\n",
			wantCode:  ExitInvalid,
			stderr:    []string{"gantry.yml:2:12: coverage: minimum must be between 0 and 100, not 180"},
		},
		{
			name:      "invalid deploy section",
			gantryYML: "app: gardel\ncoverage: {minimum: 10}\n",
			wantCode:  ExitInvalid,
			stderr:    []string{"gantry.yml:1:1: image is missing"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{}
			if tt.gantryYML != "" {
				files["gantry.yml"] = tt.gantryYML
			}
			dir := runProject(t, "coverage-gate", files)
			code, out, errOut, rep := gantryRun(t, dir)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out, errOut)
			}
			for _, w := range tt.stderr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			if tt.want == nil {
				if len(rep.Jobs) > 0 {
					t.Errorf("jobs ran: %+v", rep.Jobs)
				}
				return
			}
			if diff := cmp.Diff(tt.want, jobStatuses(rep)); diff != "" {
				t.Errorf("statuses (-want +got):\n%s\n%s", diff, out)
			}
			for _, j := range rep.Jobs {
				if want, ok := tt.reasons[j.Name]; ok && j.Reason != want {
					t.Errorf("%s: reason %q, want %q", j.Name, j.Reason, want)
				}
				if j.Name == "unit" && (j.Coverage == nil || *j.Coverage != 90) {
					t.Errorf("unit: coverage %v, want 90 from its report", j.Coverage)
				}
				if len(tt.logs[j.Name]) == 0 {
					continue
				}
				b, err := os.ReadFile(filepath.Join(dir, j.Log))
				if err != nil {
					b, err = os.ReadFile(j.Log)
				}
				if err != nil {
					t.Fatalf("%s's log: %v", j.Name, err)
				}
				for _, w := range tt.logs[j.Name] {
					if !strings.Contains(string(b), w+"\n") {
						t.Errorf("%s's log lacks %q:\n%s", j.Name, w, b)
					}
				}
			}
		})
	}
}
