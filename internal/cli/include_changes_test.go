package cli

import (
	"strings"
	"testing"
)

// include:rules:changes compares with the same changed files as the jobs'
// rules:changes (--changed here), and holds when they are unknown (a tag).
func TestIncludeRulesChanges(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		".gitlab-ci.yml": "include:\n  - local: docs.yml\n    rules:\n      - changes: [docs/**/*]\nbuild:\n  script: echo build\n",
		"docs.yml":       "docs:\n  script: echo docs\n",
		"docs/a/b.md":    "x\n",
		"main.go":        "package main\n",
	})
	gitRepo(t, dir, "main")
	gitIn(t, dir, "tag", "v1")
	tests := []struct {
		name     string
		args     []string
		wantDocs bool
	}{
		{"docs changed", []string{"--changed", "docs/a/b.md"}, true},
		{"code changed", []string{"--changed", "main.go"}, false},
		{"tag: changes unknown", []string{"--tag", "v1", "--changed", "main.go"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, append([]string{"list", "-C", dir}, tt.args...)...)
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if got := strings.Contains(out, "docs "); got != tt.wantDocs {
				t.Errorf("docs job listed: %v, want %v\n%s", got, tt.wantDocs, out)
			}
		})
	}
}
