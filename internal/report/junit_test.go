package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseJUnit(t *testing.T) {
	tests := []struct {
		file string
		want TestSummary
	}{
		{
			file: "pytest-junit.xml",
			want: TestSummary{Total: 7, Passed: 3, Failed: 2, Errors: 1, Skipped: 1, Failures: []TestCase{
				{Suite: "pytest", Classname: "test_shop", Name: "test_discount", Status: TestFailed},
				{Suite: "pytest", Classname: "test_shop", Name: "test_boom", Status: TestFailed, Message: "RuntimeError: no <network> & no luck"},
				{Suite: "pytest", Classname: "test_shop", Name: "test_uses_broken", Status: TestError, Message: `failed on setup with "OSError: fixture exploded"`},
			}},
		},
		{
			file: "go-junit.xml",
			want: TestSummary{Total: 6, Passed: 2, Failed: 3, Skipped: 1, Failures: []TestCase{
				{Suite: "example.com/calc/calc", Classname: "example.com/calc/calc", Name: "TestSub", Status: TestFailed, Message: "Failed", Output: "calc_test.go:6: Sub(3, 1) = 1, want 2"},
				{Suite: "example.com/calc/calc", Classname: "example.com/calc/calc", Name: "TestTable", Status: TestFailed, Message: "Failed"},
				{Suite: "example.com/calc/calc", Classname: "example.com/calc/calc", Name: "TestTable/bad_<case>", Status: TestFailed, Message: "Failed", Output: "calc_test.go:10: boom & bust"},
			}},
		},
		{
			file: "nested-junit.xml",
			want: TestSummary{Total: 5, Passed: 2, Failed: 1, Errors: 1, Skipped: 1, Duration: 2, Failures: []TestCase{
				{Suite: "api", Classname: "api.OrderTest", Name: "rejects bad input", Status: TestError, Message: "NullPointerException", Output: "at api.Order.validate(Order.java:42)"},
				{Suite: "web", Classname: "web.HomeTest", Name: "renders home", File: "web/home_test.js", Status: TestFailed, Message: "expected 200, got 500"},
			}},
		},
		{
			file: "latin1-junit.xml",
			want: TestSummary{Total: 1, Failed: 1, Failures: []TestCase{
				{Suite: "café", Classname: "c", Name: "crème", Status: TestFailed, Message: "brûlée"},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := ParseJUnitFiles(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			// Outputs of pytest failures are long tracebacks: check only
			// that they were kept, then compare the rest.
			for i := range got.Failures {
				if tt.file == "pytest-junit.xml" {
					if !strings.Contains(got.Failures[i].Output, "test_shop.py:") {
						t.Errorf("failure %d output %q lacks the traceback", i, got.Failures[i].Output)
					}
					got.Failures[i].Output = ""
					if i == 0 {
						got.Failures[i].Message = ""
					}
				}
			}
			if diff := cmp.Diff(tt.want, *got, cmpopts.EquateApprox(0, 0.05)); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseJUnitSums(t *testing.T) {
	got, err := ParseJUnitFiles(filepath.Join("testdata", "pytest-junit.xml"), filepath.Join("testdata", "go-junit.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Total != 13 || got.Failed != 5 || len(got.Failures) != 6 {
		t.Errorf("got total %d failed %d failures %d, want 13, 5, 6", got.Total, got.Failed, len(got.Failures))
	}
}

func TestParseJUnitErrors(t *testing.T) {
	tests := []struct {
		name, input, want string
	}{
		{"truncated", mustRead(t, "truncated-junit.xml"), "junit report f.xml:6:1: unexpected EOF"},
		{"empty", "", "junit report f.xml: no XML element found"},
		{"wrong root", "<html><body/></html>", "root element is <html>"},
		{"mismatched tags", "<testsuites>\n<testsuite></testcase>", "junit report f.xml:2:"},
		{"unknown encoding", `<?xml version="1.0" encoding="EBCDIC"?><testsuites/>`, `unsupported encoding "EBCDIC"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseJUnit(strings.NewReader(tt.input), "f.xml")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseJUnitCapsMemory(t *testing.T) {
	var b strings.Builder
	b.WriteString("<testsuites><testsuite name='big'>")
	huge := strings.Repeat("x", 3*MaxOutputBytes)
	for range MaxKeptFailures + 5 {
		b.WriteString("<testcase name='t'><failure>" + huge + "</failure></testcase>")
	}
	b.WriteString("</testsuite></testsuites>")
	got, err := ParseJUnit(strings.NewReader(b.String()), "big.xml")
	if err != nil {
		t.Fatal(err)
	}
	if got.Failed != MaxKeptFailures+5 || len(got.Failures) != MaxKeptFailures || got.Omitted != 5 {
		t.Errorf("failed %d kept %d omitted %d", got.Failed, len(got.Failures), got.Omitted)
	}
	if n := len(got.Failures[0].Output); n != MaxOutputBytes {
		t.Errorf("output kept %d bytes, want %d", n, MaxOutputBytes)
	}
}

func TestFullName(t *testing.T) {
	tests := []struct {
		c    TestCase
		want string
	}{
		{TestCase{Classname: "test_shop", Name: "test_a"}, "test_shop.test_a"},
		{TestCase{Name: "TestX"}, "TestX"},
		{TestCase{Classname: "pkg", Name: "pkg.TestX"}, "pkg.TestX"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.c.FullName(); got != tt.want {
				t.Errorf("FullName() = %q, want %q", got, tt.want)
			}
		})
	}
}

func mustRead(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
