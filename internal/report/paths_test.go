package report

import (
	"path/filepath"
	"testing"
)

func TestCoverageMatch(t *testing.T) {
	c, err := ParseCoberturaFile(filepath.Join("testdata", "coverage-py.xml"))
	if err != nil {
		t.Fatal(err)
	}
	// Names written the other ways some tools write them.
	c.Files[`.\shop\win.py`] = &FileCoverage{Filename: `.\shop\win.py`, Covered: 1, Valid: 5}
	tests := []struct {
		glob string
		want Lines
		rate float64
	}{
		{"shop/**", Lines{Files: 4, Covered: 12, Valid: 20}, 0.6},
		{"shop/*.py", Lines{Files: 4, Covered: 12, Valid: 20}, 0.6},
		{"shop/{pricing,util}.py", Lines{Files: 2, Covered: 11, Valid: 15}, 11.0 / 15},
		{"**/test_*.py", Lines{Files: 1, Covered: 18, Valid: 20}, 0.9},
		{"shop/__init__.py", Lines{Files: 1}, 1},
		{"billing/**", Lines{}, 1},
		{"**", Lines{Files: 5, Covered: 30, Valid: 40}, 0.75},
	}
	for _, tt := range tests {
		t.Run(tt.glob, func(t *testing.T) {
			got, err := c.Match(tt.glob)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want || got.Rate() != tt.rate {
				t.Errorf("Match(%q) = %+v rate %v, want %+v rate %v", tt.glob, got, got.Rate(), tt.want, tt.rate)
			}
		})
	}
	if _, err := c.Match("shop/[a"); err == nil {
		t.Error("a malformed glob matched")
	}
}
