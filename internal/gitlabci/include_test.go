package gitlabci

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExpandExisting(t *testing.T) {
	vars := mapVars(map[string]string{"A": "a", "B_2": "b", "EMPTY": ""})
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"$A", "a"},
		{"${A}/x", "a/x"},
		{"$A$B_2", "ab"},
		{"$UNKNOWN and ${UNKNOWN}", "$UNKNOWN and ${UNKNOWN}"},
		{"$$A", "$$A"},
		{"${A", "${A"},
		{"$1", "$1"},
		{"cost: 5$", "cost: 5$"},
		{"$EMPTY|", "|"},
		{"ci/$A.yml", "ci/a.yml"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := expandExisting(tt.in, vars); got != tt.want {
				t.Errorf("expandExisting(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
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
