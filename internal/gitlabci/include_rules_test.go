package gitlabci

import (
	"fmt"
	"maps"
	"slices"
	"testing"
)

// TestIncludeRulesGlobs checks include:rules:exists and changes globs one
// by one, with GitLab's semantics (Ruby's File.fnmatch? over the
// project's files or the push's changes, as Clause::Exists and
// Clause::Changes call it).
func TestIncludeRulesGlobs(t *testing.T) {
	project := map[string]string{
		"b.yml":                         "b:\n  script: x\n",
		".env":                          "",
		"Dockerfile":                    "",
		"docs/index.md":                 "",
		"docs/guide/deep.md":            "",
		"src/.hidden/x.py":              "",
		".git/HEAD":                     "",
		".git/refs/main":                "",
		".gantry/builds/job/src/app.rb": "",
	}
	changed := []string{"docs/guide/deep.md", ".env"}
	tests := []struct {
		name   string
		clause string
		globs  string
		want   bool
	}{
		{"exists docs/** is one level", "exists", `["docs/**"]`, true},
		{"exists docs/*/** is one level", "exists", `["docs/*/**"]`, true},
		{"exists docs/guide/** is one level", "exists", `["docs/guide/**"]`, true},
		{"exists docs/**/* nested", "exists", `["docs/**/*"]`, true},
		{"exists dotfile by *", "exists", `[".e*"]`, true},
		{"exists hidden directory by **", "exists", `["**/x.py"]`, true},
		{"exists braces", "exists", `["{Makefile,Dockerfile}"]`, true},
		{"exists braces none", "exists", `["{Makefile,Rakefile}"]`, false},
		{"exists leading slash", "exists", `["/Dockerfile"]`, false},
		{"exists dot slash", "exists", `["./Dockerfile"]`, false},
		{"exists directory is not a file", "exists", `["docs"]`, false},
		{"exists top-level glob", "exists", `["*.md"]`, false},
		{"exists extension glob", "exists", `["**/*.md"]`, true},
		{"exists unclosed class is no error", "exists", `["[ab"]`, false},
		{"exists .git is not the project's", "exists", `[".git/HEAD"]`, false},
		{"exists .git not walked", "exists", `["**/main"]`, false},
		{"exists .gantry's job copies not walked", "exists", `["**/*.rb"]`, false},
		{"changes docs/** is one level", "changes", `["docs/**"]`, false},
		{"changes docs/**/* nested", "changes", `["docs/**/*"]`, true},
		{"changes dotfile", "changes", `["*"]`, true},
		{"changes braces", "changes", `["{src,docs}/guide/*"]`, true},
		{"changes leading slash", "changes", `["/.env"]`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := maps.Clone(project)
			files[".gitlab-ci.yml"] = fmt.Sprintf("include:\n  - local: b.yml\n    rules: [{%s: %s}]\nalways:\n  script: x\n", tc.clause, tc.globs)
			doc, err := resolveFiles(t, files, Options{Changed: changed})
			if err != nil {
				t.Fatal(err)
			}
			if got := slices.Contains(jobKeys(doc), "b"); got != tc.want {
				t.Errorf("included b: %v, want %v", got, tc.want)
			}
		})
	}
}

// TestIncludeRulesLimits checks GitLab's comparison limits: past them a
// clause holds without comparing.
func TestIncludeRulesLimits(t *testing.T) {
	many := make([]string, 25_001)
	for i := range many {
		many[i] = fmt.Sprintf("f%05d", i)
	}
	tests := []struct {
		name    string
		rule    string
		changed []string
		want    bool
	}{
		{"changes at the limit", `{changes: ["x", "y"]}`, many[:25_000], false},
		{"changes past the limit", `{changes: ["x", "y"]}`, many, true},
		{"duplicate globs count once", `{changes: ["x", "x"]}`, many, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{
				"b.yml":          "b:\n  script: x\n",
				".gitlab-ci.yml": "include:\n  - local: b.yml\n    rules: [" + tc.rule + "]\nalways:\n  script: x\n",
			}
			doc, err := resolveFiles(t, files, Options{Changed: tc.changed})
			if err != nil {
				t.Fatal(err)
			}
			if got := slices.Contains(jobKeys(doc), "b"); got != tc.want {
				t.Errorf("included b: %v, want %v", got, tc.want)
			}
		})
	}
}

// TestIncludeRulesExistsSharedListing checks that clauses after the first
// see the project's files as they would alone: a top-level clause after a
// nested one (whose whole listing it reuses) still compares only the
// top-level files.
func TestIncludeRulesExistsSharedListing(t *testing.T) {
	files := map[string]string{
		"a.yml":          "a:\n  script: x\n",
		"b.yml":          "b:\n  script: x\n",
		"c.yml":          "c:\n  script: x\n",
		"sub/x.yml":      "",
		"top.yml":        "",
		".gitlab-ci.yml": "include:\n  - local: a.yml\n    rules: [{exists: [sub/*.yml]}]\n  - local: b.yml\n    rules: [{exists: ['x.*']}]\n  - local: c.yml\n    rules: [{exists: ['top.*']}]\nalways:\n  script: x\n",
	}
	doc, err := resolveFiles(t, files, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := jobKeys(doc)
	for job, want := range map[string]bool{"a": true, "b": false, "c": true} {
		if slices.Contains(got, job) != want {
			t.Errorf("included %s: %v, want %v (jobs %v)", job, !want, want, got)
		}
	}
}
