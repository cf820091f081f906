package fnmatch

import "testing"

// matchCases were checked against Ruby 3.1's File.fnmatch?(pattern,
// path, File::FNM_PATHNAME | File::FNM_DOTMATCH | File::FNM_EXTGLOB).
var matchCases = []struct {
	pattern, path string
	want          bool
}{
	// GitLab's own "a glob matching rule" table.
	{"Dockerfile", "Dockerfile", true},
	{"Dockerfile", "Gemfile", false},
	{"Docker*", "Dockerfile", true},
	{"project/build.properties", "project/build.properties", true},
	{"project/build.properties", "project/README.md", false},
	{"src/**/*.go", "src/gitlab.com/goproject/goproject.go", true},
	{"src/**/*.go", "src/gitlab.com/goproject/README.md", false},
	{"*.go", "main.go", true},
	{"*.go", "cmd/goproject/main.go", false},
	{"/*.go", "main.go", false},
	// ** is recursive only as a whole segment followed by /.
	{"docs/**", "docs/a.md", true},
	{"docs/**", "docs/guide/a.md", false},
	{"docs/**/*", "docs/a.md", true},
	{"docs/**/*", "docs/guide/deep/a.md", true},
	{"**/*", "a/b/c", true},
	{"**/*.py", "x.py", true},
	{"**/*.py", ".hidden/dir/x.py", true},
	{"a**/b", "a/x/b", false},
	{"a**/b", "ax/b", true},
	{"**", "a/b", false},
	{"**/**/x", "a/b/x", true},
	// Dot files match * and ?.
	{"*", ".env", true},
	{"?env", ".env", true},
	{".*", ".env", true},
	{"*", "dir/file", false},
	// Braces, nested, and an unclosed one.
	{"*.{py,pyi}", "x.pyi", true},
	{"*.{py,pyi}", "x.pyc", false},
	{"{a,b/{c,d}}/x", "b/d/x", true},
	{"{a,b}/x", "c/x", false},
	{"{a", "{a", false},
	{"a}", "a}", true},
	{"{}", "", true},
	// Classes.
	{"[abc].txt", "b.txt", true},
	{"[!abc].txt", "b.txt", false},
	{"[^abc].txt", "d.txt", true},
	{"[a-c].txt", "b.txt", true},
	{"[c-a].txt", "a.txt", true},
	{"[c-a].txt", "b.txt", false},
	{"a[/]b", "a/b", false},
	{"[ab", "a", false},
	{"x[]", "x]", false},
	// Escapes, and no special ./.
	{`\*.txt`, "*.txt", true},
	{`\*.txt`, "a.txt", false},
	{"./Dockerfile", "Dockerfile", false},
	{"dir/", "dir", false},
	{"Dockerfile", "dockerfile", false},
	{"é*", "éte", true},
	{"?te", "éte", true},
}

func TestMatch(t *testing.T) {
	for _, c := range matchCases {
		t.Run(c.pattern+" "+c.path, func(t *testing.T) {
			if got := Match(c.pattern, c.path); got != c.want {
				t.Errorf("Match(%q, %q) = %v, want %v", c.pattern, c.path, got, c.want)
			}
		})
	}
}

func FuzzMatch(f *testing.F) {
	for _, c := range matchCases {
		f.Add(c.pattern, c.path)
	}
	f.Fuzz(func(t *testing.T, pattern, path string) {
		// No panic, no hang; a pattern without any special character
		// matches only itself.
		got := Match(pattern, path)
		if !containsAny(pattern, `*?[{}\`) && got != (pattern == path) {
			t.Errorf("Match(%q, %q) = %v", pattern, path, got)
		}
	})
}

func containsAny(s, chars string) bool {
	for _, c := range chars {
		for _, d := range s {
			if c == d {
				return true
			}
		}
	}
	return false
}
