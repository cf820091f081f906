package gantryfile

import (
	"testing"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/gantry-ci/gantry/internal/pipeline"
	"github.com/google/go-cmp/cmp"
)

// checkCoverage asserts what Parse promises of an accepted coverage gate.
func checkCoverage(t *testing.T, c *Coverage) {
	t.Helper()
	if c.Minimum == nil && len(c.Paths) == 0 {
		t.Fatalf("accepted a coverage gate without any minimum")
	}
	mins := []Minimum{}
	if c.Minimum != nil {
		mins = append(mins, *c.Minimum)
	}
	for _, p := range c.Paths {
		if !doublestar.ValidatePattern(p.Glob) {
			t.Fatalf("accepted glob %q", p.Glob)
		}
		mins = append(mins, p.Minimum)
	}
	for _, m := range mins {
		if !(m.Percent >= 0 && m.Percent <= 100) || m.Pos.Line == 0 {
			t.Fatalf("accepted minimum %+v", m)
		}
	}
}

func TestParseCoverage(t *testing.T) {
	pos := func(line, col int) pipeline.Pos { return pipeline.Pos{File: "gantry.yml", Line: line, Col: col} }
	tests := []struct {
		name, src string
		want      *Coverage
	}{
		{
			name: "global, paths and jobs",
			src: `coverage:
  minimum: 80
  paths:
    "catalog/services/**": 95
    "**/models.py": 62.5%
  jobs: [test, "unit tests"]
`,
			want: &Coverage{
				Pos:     pos(1, 1),
				Minimum: &Minimum{Percent: 80, Pos: pos(2, 3)},
				Paths: []PathMinimum{
					{Glob: "catalog/services/**", Minimum: Minimum{Percent: 95, Pos: pos(4, 5)}},
					{Glob: "**/models.py", Minimum: Minimum{Percent: 62.5, Pos: pos(5, 5)}},
				},
				Jobs: []JobName{{Name: "test", Pos: pos(6, 10)}, {Name: "unit tests", Pos: pos(6, 16)}},
			},
		},
		{
			name: "paths only, one job as a string",
			src:  "coverage:\n  paths: {'src/*.go': 0}\n  jobs: test\n",
			want: &Coverage{
				Pos:   pos(1, 1),
				Paths: []PathMinimum{{Glob: "src/*.go", Minimum: Minimum{Percent: 0, Pos: pos(2, 11)}}},
				Jobs:  []JobName{{Name: "test", Pos: pos(3, 9)}},
			},
		},
		{
			name: "beside the deploy sections",
			src:  "app: a\nimage: r.example.com/a\nenvironments: {p: {hosts: u@h, services: [web]}}\ncoverage: {minimum: '75%'}\n",
			want: &Coverage{Pos: pos(4, 1), Minimum: &Minimum{Percent: 75, Pos: pos(4, 12)}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("gantry.yml", []byte(tt.src))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, f.Coverage); diff != "" {
				t.Errorf("coverage (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCoverageOnlyFileHasNoDeploy(t *testing.T) {
	f, err := Parse("gantry.yml", []byte("coverage: {minimum: 80}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if f.HasDeploy() || f.Coverage == nil || f.Pos.Line != 1 {
		t.Errorf("got %+v", f)
	}
}

func TestParseCoverageErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"null", "coverage:\n", "gantry.yml:1:1: coverage: sets no minimum"},
		{"no minimum", "coverage: {jobs: [test]}\n", "gantry.yml:1:1: coverage: sets no minimum"},
		{"no paths", "coverage: {paths: {}}\n", "gantry.yml:1:1: coverage: sets no minimum"},
		{"over 100", "coverage: {minimum: 120}\n", "gantry.yml:1:21: coverage: minimum must be between 0 and 100, not 120"},
		{"negative", "coverage:\n  paths: {'a/**': -1}\n", "gantry.yml:2:19: coverage: paths: a/** must be between 0 and 100, not -1"},
		{"not a number", "coverage: {minimum: high}\n", `gantry.yml:1:21: coverage: minimum must be a number, not "high"`},
		{"nan", "coverage: {minimum: .nan}\n", `coverage: minimum must be a number, not ".nan"`},
		{"list", "coverage: {minimum: [80]}\n", "gantry.yml:1:21: coverage: minimum must be a number"},
		{"bad glob", "coverage:\n  paths: {'src/[a': 80}\n", `gantry.yml:2:11: "src/[a" is not a valid glob`},
		{"unknown key", "coverage: {minimun: 80}\n", `gantry.yml:1:12: coverage: unknown key "minimun" (did you mean "minimum"?)`},
		{"paths not a map", "coverage: {paths: [a]}\n", "gantry.yml:1:19: coverage: paths must be a map, not a list"},
		{"jobs of maps", "coverage: {minimum: 1, jobs: [{a: b}]}\n", "gantry.yml:1:31: coverage: jobs must be a string, not a map"},
		{"deploy half written", "coverage: {minimum: 80}\nimage: r/a\n", "gantry.yml:1:1: app is missing"},
		{"nothing", "{}\n", "gantry.yml:1:1: file declares nothing"},
		{"top-level typo", "coverag: {minimum: 80}\n", `gantry.yml:1:1: gantry.yml: unknown key "coverag" (did you mean "coverage"?)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantParseError(t, tt.src, tt.want) })
	}
}
