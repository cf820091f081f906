package report

import (
	"strings"
	"testing"
)

func TestCoverageScanner(t *testing.T) {
	tests := []struct {
		name, regex, log string
		want             string
		found            bool
	}{
		// The three cases of gitlab-ci-local's coverage fixture, with the
		// figures it records.
		{"last line wins", `/^\s*Lines:\s*(\d+.\d+)\%/`, "  Lines:   48.46% (510/650)\n  Lines:   78.46% (510/650)\n", "78.46", true},
		{"jest table", `/All files.*?\|.*?\|.*?([\d\.]+)/`, "All files            |    99.3 |    97.91 |     100 |     100 |                   \n", "97.91", true},
		{"inline flag", `/(?i)total.*? (100(?:\.0+)?\%|[1-9]?\d(?:\.\d+)?\%)$/`, "TOTAL                        18      0   100%\n", "100", true},
		{"no group takes whole match", `/\d+\.\d+%/`, "coverage: 12.5% of statements\n", "12.5", true},
		{"last group of last match", `/(\d+)-(\d+)/`, "1-2 3-4\n", "4", true},
		{"later line without figure keeps earlier", `/cov (\S+)/`, "cov 55\ncov none\n", "55", true},
		{"unterminated last line", `/(\d+)%/`, "a 10%\nb 20%", "20", true},
		{"crlf", `/(\d+)%$/`, "a 33%\r\n", "33", true},
		{"ruby i flag", `/TOTAL (\d+)/i`, "total 70\n", "70", true},
		{"no match", `/(\d+)%/`, "nothing here\n", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			re, err := CompileCoverage(tt.regex)
			if err != nil {
				t.Fatal(err)
			}
			s := NewCoverageScanner(re)
			// Write a byte at a time: lines must be reassembled across
			// writes.
			for i := range len(tt.log) {
				if _, err := s.Write([]byte{tt.log[i]}); err != nil {
					t.Fatal(err)
				}
			}
			got, ok := s.Result()
			if got != tt.want || ok != tt.found {
				t.Errorf("Result() = %q, %v; want %q, %v", got, ok, tt.want, tt.found)
			}
		})
	}
}

func TestCoverageScannerLongLine(t *testing.T) {
	re, err := CompileCoverage(`/cov (\d+)/`)
	if err != nil {
		t.Fatal(err)
	}
	s := NewCoverageScanner(re)
	if _, err := s.Write([]byte("cov 42 " + strings.Repeat("x", 10*maxCoverageLine) + "\ncov 7")); err != nil {
		t.Fatal(err)
	}
	if len(s.partial) > maxCoverageLine {
		t.Errorf("scanner buffered %d bytes", len(s.partial))
	}
	if got, _ := s.Result(); got != "7" {
		t.Errorf("Result() = %q, want 7", got)
	}
}

func TestCompileCoverageErrors(t *testing.T) {
	tests := []struct{ name, regex, want string }{
		{"lookahead", `/foo(?=bar)/`, "RE2"},
		{"flag", `/x/g`, `unsupported flag 'g'`},
		{"unclosed", `/abc`, "missing closing /"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CompileCoverage(tt.regex)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParsePercent(t *testing.T) {
	if f, err := ParsePercent("78.46"); err != nil || f != 78.46 {
		t.Errorf("ParsePercent = %v, %v", f, err)
	}
	if _, err := ParsePercent(""); err == nil {
		t.Error("ParsePercent(\"\") succeeded")
	}
}
