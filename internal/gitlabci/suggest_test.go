package gitlabci

import "testing"

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
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

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
	}
	for _, tt := range tests {
		if got := nearest(tt.name, jobKeywords); got != tt.want {
			t.Errorf("nearest(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}
