package fnmatch

import (
	"fmt"
	"strings"
	"testing"
)

var projectFiles = []string{
	".env",
	".gitlab-ci.yml",
	"Dockerfile",
	"a\\b",
	"docs/guide/deep/page.md",
	"docs/index.md",
	"src/.hidden/x.py",
	"src/main.go",
}

func TestExists(t *testing.T) {
	vars := map[string]string{"DIR": "docs", "TOP": "docs/index.md"}
	expand := func(s string) string {
		for k, v := range vars {
			s = strings.ReplaceAll(s, "$"+k, v)
		}
		return s
	}
	tests := []struct {
		name  string
		globs []string
		files []string
		want  bool
	}{
		{"exact file", []string{"Dockerfile"}, projectFiles, true},
		{"exact missing", []string{"Makefile"}, projectFiles, false},
		{"directory is not a file", []string{"docs"}, projectFiles, false},
		{"docs/** is one level", []string{"docs/**"}, projectFiles, true},
		{"docs/** misses nested only", []string{"docs/**"}, []string{"docs/guide/a.md"}, false},
		{"docs/**/* is recursive", []string{"docs/**/*"}, []string{"docs/guide/a.md"}, true},
		{"dotfile by *", []string{".e*"}, projectFiles, true},
		{"dotfile by exact", []string{".env"}, projectFiles, true},
		{"hidden dir by **", []string{"src/**/*.py"}, projectFiles, true},
		{"braces", []string{"{Makefile,Dockerfile}"}, projectFiles, true},
		{"braces none", []string{"{Makefile,Rakefile}"}, projectFiles, false},
		{"leading slash exact", []string{"/Dockerfile"}, projectFiles, false},
		{"leading slash glob", []string{"/Docker*"}, projectFiles, false},
		{"dot slash is literal", []string{"./Dockerfile"}, projectFiles, false},
		{"backslash literal in exact", []string{`a\b`}, projectFiles, true},
		{"extension glob", []string{"**/*.go"}, projectFiles, true},
		{"extension glob dotfile name", []string{"**/*.env"}, projectFiles, true},
		{"extension glob none", []string{"**/*.rs"}, projectFiles, false},
		{"top level only", []string{"*.md"}, projectFiles, false},
		{"nested glob widens the list", []string{"*.md", "src/*"}, []string{"a/b.md"}, false},
		{"top level variable", []string{"$TOP"}, projectFiles, false},
		{"nested variable", []string{"$DIR/index.md"}, projectFiles, true},
		{"empty glob", []string{""}, projectFiles, false},
		{"no files", []string{"*"}, nil, false},
		{"unclosed brace", []string{"{Dockerfile"}, projectFiles, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Exists(tc.globs, expand, tc.files); got != tc.want {
				t.Errorf("Exists(%q) = %v, want %v", tc.globs, got, tc.want)
			}
		})
	}
}

func TestExistsLimit(t *testing.T) {
	files := make([]string, MaxExistsComparisons/2)
	for i := range files {
		files[i] = fmt.Sprintf("dir/f%05d", i)
	}
	tests := []struct {
		name  string
		globs []string
		want  bool
	}{
		{"at the limit compares", []string{"x/*", "y/*"}, false},
		{"past the limit holds", []string{"x/*", "y/*", "z/*"}, true},
		{"exact globs do not count", []string{"x/*", "y/*", "a", "b"}, false},
		{"extension globs do not count", []string{"x/*", "y/*", "**/*.c"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Exists(tc.globs, nil, files); got != tc.want {
				t.Errorf("Exists(%q) = %v, want %v", tc.globs, got, tc.want)
			}
		})
	}
}

func TestChanges(t *testing.T) {
	many := make([]string, MaxChangesComparisons)
	for i := range many {
		many[i] = fmt.Sprintf("f%05d", i)
	}
	tests := []struct {
		name    string
		globs   []string
		changed []string
		want    bool
	}{
		{"docs/** one level", []string{"docs/**"}, []string{"docs/a.md"}, true},
		{"docs/** not nested", []string{"docs/**"}, []string{"docs/guide/a.md"}, false},
		{"docs/**/* nested", []string{"docs/**/*"}, []string{"docs/guide/a.md"}, true},
		{"dotfile", []string{"*"}, []string{".env"}, true},
		{"braces", []string{"*.{yml,yaml}"}, []string{"a.yaml"}, true},
		{"leading slash", []string{"/a.md"}, []string{"a.md"}, false},
		{"nothing changed", []string{"*"}, []string{}, false},
		{"no globs", nil, []string{"a"}, false},
		{"duplicates count once", []string{"x", "x"}, many, false},
		{"past the limit holds", []string{"x", "y"}, many, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Changes(tc.globs, tc.changed); got != tc.want {
				t.Errorf("Changes(%q) = %v, want %v", tc.globs, got, tc.want)
			}
		})
	}
}
