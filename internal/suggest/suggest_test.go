package suggest

import (
	"strings"
	"testing"
)

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"script", "script", 0},
		{"scirpt", "script", 1}, // transposition
		{"scrpt", "script", 1},
		{"scriptt", "script", 1},
		{"stgae", "stage", 1},
		{"", "abc", 3},
		{"kitten", "sitting", 3},
	}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

// keywords are some of GitLab's job keywords.
var keywords = []string{"script", "before_script", "after_script", "artifacts", "dependencies", "environment", "interruptible", "stage", "image"}

func TestNearest(t *testing.T) {
	tests := []struct {
		name, want string
	}{
		{"scirpt", "script"},
		{"befor_script", "before_script"},
		{"artefacts", "artifacts"},
		{"Script", "script"},
		{"dependecies", "dependencies"},
		{"xyz", ""},
		{"environmnt", "environment"},
		{"interuptible", "interruptible"},
		{"BUILD-job", ""},
		{"env", "environment"},
	}
	for _, tt := range tests {
		if got := Nearest(tt.name, keywords); got != tt.want {
			t.Errorf("Nearest(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestNearestIgnoresCase(t *testing.T) {
	if got := Nearest("deploy-prod", []string{"Deploy-Prod", "build"}); got != "Deploy-Prod" {
		t.Errorf("got %q", got)
	}
	if got := Distance(strings.Repeat("a", 1000), strings.Repeat("b", 1000)); got != 1000 {
		t.Errorf("long words: %d", got)
	}
}
