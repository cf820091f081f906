package report

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type fileRow struct {
	Filename       string
	Covered, Valid int
}

func rows(c *Coverage) []fileRow {
	var out []fileRow
	for _, f := range c.SortedFiles() {
		out = append(out, fileRow{f.Filename, f.Covered, f.Valid})
	}
	return out
}

func TestParseCobertura(t *testing.T) {
	tests := []struct {
		file           string
		rate           float64
		covered, valid int
		sources        []string
		files          []fileRow
	}{
		{
			file: "coverage-py.xml", rate: 0.8286, covered: 29, valid: 35,
			sources: []string{"/tmp/pyproj"},
			files: []fileRow{
				{"shop/__init__.py", 0, 0},
				{"shop/pricing.py", 8, 11},
				{"shop/util.py", 3, 4},
				{"test_shop.py", 18, 20},
			},
		},
		{
			// No root counts: computed from the lines, each line of a
			// file counted once across its classes and methods.
			file: "inner-classes-cobertura.xml", rate: 2.0 / 3, covered: 2, valid: 3,
			sources: []string{"src/main/java"},
			files:   []fileRow{{"shop/Cart.java", 2, 3}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			c, err := ParseCoberturaFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if c.LineRate != tt.rate || c.LinesCovered != tt.covered || c.LinesValid != tt.valid {
				t.Errorf("rate %v covered %d valid %d, want %v %d %d", c.LineRate, c.LinesCovered, c.LinesValid, tt.rate, tt.covered, tt.valid)
			}
			if diff := cmp.Diff(tt.sources, c.Sources); diff != "" {
				t.Errorf("sources (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.files, rows(c)); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFileCoverageRate(t *testing.T) {
	if r := (&FileCoverage{Covered: 3, Valid: 4}).Rate(); r != 0.75 {
		t.Errorf("Rate = %v, want 0.75", r)
	}
	if r := (&FileCoverage{}).Rate(); r != 1 {
		t.Errorf("Rate of an empty file = %v, want 1", r)
	}
	if p := (&Coverage{LineRate: 0.8286}).Percent(); p < 82.85 || p > 82.87 {
		t.Errorf("Percent = %v", p)
	}
}

func TestParseCoberturaErrors(t *testing.T) {
	tests := []struct {
		name, input, want string
	}{
		{"junit given", "<testsuites/>", "root element is <testsuites>, want <coverage>"},
		{"empty", "  ", "no XML element found"},
		{"broken", "<coverage>\n<packages>\n</coverage>", "cobertura report c.xml:3:"},
		{"huge line number", `<coverage><packages><package><classes><class filename="a"><lines><line number="99999999" hits="1"/>`, "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCobertura(strings.NewReader(tt.input), "c.xml")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
