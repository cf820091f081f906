package gitlabci

import (
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestIncludeVariables checks each place an include expands variables,
// with GitLab's rules for that place: locations with ExpandVariables.expand
// (unknown names are empty, $$ is no escape, %NAME% works), wildcards
// matched before expansion, rules:exists with expand_existing on values
// as written, rules:changes on values expanded among themselves, and the
// expand_vars input function with expand_existing.
func TestIncludeVariables(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "remote%s:\n  script: x\n", strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/"), ".yml"))
	}))
	defer srv.Close()
	job := func(name string) string { return name + ":\n  script: x\n" }
	files := map[string]string{
		"ci/a.yml":       job("a"),
		"ci/b.yml":       job("b"),
		"ci/$a.yml":      job("dollar_a"),
		"ci/.yml":        job("empty_name"),
		"ci/sub/c.yml":   job("sub_c"),
		"ci/$DIR/c.yml":  job("literal_dir_c"),
		"ci/$DIR/d.yml":  job("literal_dir_d"),
		"ci/sub/d.yml":   job("sub_d"),
		"ci/x/marker":    "",
		"$NOPE/marker":   "",
		"$ci/marker":     "",
		"tmpl/input.yml": "spec:\n  inputs:\n    v:\n---\nexpanded:\n  script: echo '$[[ inputs.v | expand_vars ]]'\n",
	}
	vars := map[string]string{
		"FOO": "a", "DIR": "sub", "BASE": "ci", "TWICE": "ci/$FOO.yml", "URL": srv.URL + "/u.yml",
		"ROOT": "ci", "NESTED": "$ROOT/x", "UP": "..",
	}
	tests := []struct {
		name    string
		include string
		changed []string
		want    string // the jobs included, in order, or the error
	}{
		{"local known", "- local: 'ci/$FOO.yml'", nil, "a"},
		{"local braced", "- local: 'ci/${FOO}.yml'", nil, "a"},
		{"local windows form", "- local: 'ci/%FOO%.yml'", nil, "a"},
		{"local unknown is empty", "- local: 'ci/$NOPE.yml'", nil, "empty_name"},
		{"local $$ is no escape", "- local: 'ci/$$FOO.yml'", nil, "dollar_a"},
		{"empty once expanded", "- $NOPE", nil, "error: include $NOPE is empty once its variables are expanded"},
		{"local expanded once", "- local: $TWICE", nil, "error: file ci/$FOO.yml does not exist"},
		{"string include expanded before and after normalizing", "- $TWICE", nil, "a"},
		{"string include is local or remote after expansion", "- $URL", nil, "remoteu"},
		{"remote location", "- remote: '$URL'", nil, "remoteu"},
		{"leaving the project through a variable", "- local: '$UP/x.yml'", nil, "error: ../x.yml is outside the project directory"},
		{"wildcard matched as written, then expanded", "- local: 'ci/$DIR/*.yml'", nil, "sub_c, sub_d"},
		{"wildcard with a variable and no literal match", "- local: 'ci/$FOO/*.yml'", nil, "error: no file matches ci/$FOO/*.yml"},
		{"rules:exists known", "- local: ci/b.yml\n  rules: [{exists: ['$ROOT/x/marker']}]", nil, "b"},
		{"rules:exists unknown stays", "- local: ci/b.yml\n  rules: [{exists: ['$NOPE/marker']}]", nil, "b"},
		{"rules:exists $$ is no escape", "- local: ci/b.yml\n  rules: [{exists: ['$$ROOT/marker']}]", nil, "b"},
		{"rules:exists windows form", "- local: ci/b.yml\n  rules: [{exists: ['%ROOT%/x/marker']}]", nil, "b"},
		{"rules:exists sees values as written", "- local: ci/b.yml\n  rules: [{exists: ['$NESTED/marker']}]", nil, ""},
		{"rules:changes sees nested values", "- local: ci/b.yml\n  rules: [{changes: ['$NESTED/*']}]", []string{"ci/x/marker"}, "b"},
		{"rules:changes unknown stays", "- local: ci/b.yml\n  rules: [{changes: ['$NOPE/*']}]", []string{"$NOPE/marker"}, "b"},
		{"rules:changes no match", "- local: ci/b.yml\n  rules: [{changes: ['$ROOT/*.py']}]", []string{"ci/x/marker"}, ""},
		{"rules:changes paths", "- local: ci/b.yml\n  rules: [{changes: {paths: ['${ROOT}/x/*']}}]", []string{"ci/x/marker"}, "b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := maps.Clone(files)
			fs[".gitlab-ci.yml"] = "include:\n" + indent(tt.include) + "\n"
			wantIncluded(t, fs, Options{Vars: mapVars(vars), Changed: tt.changed}, tt.want)
		})
	}
}

// TestExpandVarsInput checks the expand_vars input function: known names
// expanded ($NAME, ${NAME}, %NAME%), unknown ones and $$ left to the
// runner.
func TestExpandVarsInput(t *testing.T) {
	doc, err := resolveFiles(t, map[string]string{
		".gitlab-ci.yml": "include:\n  - local: t.yml\n    inputs:\n      v: '$FOO ${FOO} %FOO% $$FOO $NOPE ${NOPE} %NOPE% $1'\n",
		"t.yml":          "spec:\n  inputs:\n    v:\n---\njob:\n  script: echo '$[[ inputs.v | expand_vars ]]'\n",
	}, Options{Vars: mapVars(map[string]string{"FOO": "a"})})
	if err != nil {
		t.Fatal(err)
	}
	want := "echo 'a a a $a $NOPE ${NOPE} %NOPE% $1'"
	if got := doc.Get("job").Get("script").Value; got != want {
		t.Errorf("script %q, want %q", got, want)
	}
}

// TestIncludeLocalLiteralPath checks that include:local paths are taken
// as GitLab takes them: from the project root, with or without a leading
// /, and never with . or .. segments, which GitLab fails as files that do
// not exist (gitlab-ci-local refuses them too), even for the pipeline
// file itself.
func TestIncludeLocalLiteralPath(t *testing.T) {
	files := map[string]string{
		"ci/a.yml": "a:\n  script: x\n",
		"b.yml":    "b:\n  script: x\n",
	}
	tests := []struct {
		name    string
		include string
		want    string // the jobs included, or the error
	}{
		{"plain", "- local: ci/a.yml", "a"},
		{"leading slash", "- local: /ci/a.yml", "a"},
		{"string form", "- ci/a.yml", "a"},
		{"leading dot slash", "- local: ./ci/a.yml", "error: file ./ci/a.yml does not exist in the repository"},
		{"pipeline file itself", "- local: ./.gitlab-ci.yml", "error: file ./.gitlab-ci.yml does not exist in the repository"},
		{"string form with dot slash", "- ./b.yml", "error: file ./b.yml does not exist in the repository"},
		{"dot dot inside", "- local: ci/../b.yml", "error: file ci/../b.yml does not exist in the repository"},
		{"dot segment inside", "- local: ci/./a.yml", "error: file ci/./a.yml does not exist in the repository"},
		{"wildcard with dot slash", "- local: ./ci/*.yml", "error: file ./ci/*.yml does not exist in the repository"},
		{"leaving the project", "- local: ../x.yml", "error: ../x.yml is outside the project directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := maps.Clone(files)
			fs[".gitlab-ci.yml"] = "include:\n" + indent(tt.include) + "\n"
			wantIncluded(t, fs, Options{}, tt.want)
		})
	}
	t.Run("hint", func(t *testing.T) {
		fs := maps.Clone(files)
		fs[".gitlab-ci.yml"] = "include:\n  - local: ./b.yml\n"
		_, err := resolveFiles(t, fs, Options{})
		errs := Errors(err)
		if len(errs) != 1 || !strings.HasPrefix(errs[0].Hint, "write b.yml:") || errs[0].Pos.Line != 2 {
			t.Errorf("errors %v, want one at line 2 with the hint \"write b.yml: ...\"", err)
		}
	})
	t.Run("pipeline file given as ./", func(t *testing.T) {
		// -f ./.gitlab-ci.yml names a file on disk, not an include.
		_, err := resolveFiles(t, map[string]string{".gitlab-ci.yml": "a:\n  script: x\n"}, Options{File: "./.gitlab-ci.yml"})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// indent indents every line of s by two spaces.
func indent(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

// jobKeys lists the keys of a resolved document, in order.
func jobKeys(doc *Node) []string {
	var out []string
	for _, p := range doc.Pairs {
		out = append(out, p.Key)
	}
	return out
}

func TestCleanLocal(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"/ci/a.yml", "ci/a.yml", true},
		{"ci/../b.yml", "b.yml", true},
		{"./c.yml", "c.yml", true},
		{"//d.yml", "d.yml", true},
		{"../x.yml", "", false},
		{"/../x.yml", "", false},
		{"ci/../../x.yml", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := cleanLocal(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("cleanLocal(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestIncludeGlob(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"configs/a.yml":       "",
		"configs/b.yaml":      "",
		"configs/sub/c.yml":   "",
		"configs/sub/x/d.yml": "",
		"other/e.yml":         "",
		".git/f.yml":          "",
		"top.yml":             "",
	})
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	r := &resolver{root: root}
	tests := []struct {
		pattern string
		want    []string
	}{
		{"configs/*.yml", []string{"configs/a.yml"}},
		{"configs/**.yml", []string{"configs/a.yml", "configs/sub/c.yml", "configs/sub/x/d.yml"}},
		{"configs/**/*.yml", []string{"configs/sub/c.yml", "configs/sub/x/d.yml"}},
		{"configs/*.y*ml", []string{"configs/a.yml", "configs/b.yaml"}},
		{"*.yml", []string{"top.yml"}},
		{"**.yml", []string{"configs/a.yml", "configs/sub/c.yml", "configs/sub/x/d.yml", "other/e.yml", "top.yml"}},
		{"missing/*.yml", nil},
		{"conf(igs)/*.yml", nil},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			got, err := r.glob(tt.pattern)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestIsURL(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"https://example.com/a.yml", true},
		{"http://x/a.yml", true},
		{"ftp://x/a.yml", true}, // a URL, refused later as not HTTP(S)
		{"ci/a.yml", false},
		{"/ci/a://b.yml", false},
		{"://x", false},
	}
	for _, tt := range tests {
		if got := isURL(tt.in); got != tt.want {
			t.Errorf("isURL(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// wantIncluded resolves files and checks the jobs they include, joined
// with ", ", or with want "error: msg" that resolving fails saying msg.
func wantIncluded(t *testing.T, files map[string]string, opts Options, want string) {
	t.Helper()
	doc, err := resolveFiles(t, files, opts)
	if msg, ok := strings.CutPrefix(want, "error: "); ok {
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Fatalf("error %v, want one saying %q", err, msg)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(jobKeys(doc), ", "); got != want {
		t.Errorf("included %q, want %q", got, want)
	}
}
