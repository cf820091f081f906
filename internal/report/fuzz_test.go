package report

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func addSeeds(f *testing.F, files ...string) {
	f.Helper()
	for _, name := range files {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzParseJUnit(f *testing.F) {
	addSeeds(f, "pytest-junit.xml", "go-junit.xml", "nested-junit.xml", "latin1-junit.xml", "truncated-junit.xml")
	f.Add([]byte("<testsuite><testcase><failure/><skipped/></testcase></testsuite>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseJUnit(bytes.NewReader(data), "fuzz.xml")
		if err != nil {
			return
		}
		if s.Passed+s.Failed+s.Errors+s.Skipped != s.Total {
			t.Errorf("counts do not add up: %+v", s)
		}
		if len(s.Failures)+s.Omitted != s.Failed+s.Errors {
			t.Errorf("failures %d + omitted %d != failed %d + errors %d", len(s.Failures), s.Omitted, s.Failed, s.Errors)
		}
	})
}

func FuzzParseCobertura(f *testing.F) {
	addSeeds(f, "coverage-py.xml", "inner-classes-cobertura.xml")
	f.Add([]byte(`<coverage line-rate="x"><packages><package><classes><class filename="a"><lines><line number="3" hits="-1"/>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCobertura(bytes.NewReader(data), "fuzz.xml")
		if err != nil {
			return
		}
		for _, fc := range c.Files {
			if fc.Covered > fc.Valid || fc.Covered < 0 {
				t.Errorf("file %q covered %d of %d", fc.Filename, fc.Covered, fc.Valid)
			}
		}
	})
}

func FuzzCoverageScanner(f *testing.F) {
	f.Add(`/(\d+)%/`, []byte("a 10%\nb 20%"))
	f.Add(`/All files.*?\|.*?\|.*?([\d\.]+)/`, []byte("All files | 1 | 2.5 |\n"))
	f.Fuzz(func(t *testing.T, regex string, log []byte) {
		re, err := CompileCoverage(regex)
		if err != nil {
			return
		}
		s := NewCoverageScanner(re)
		if _, err := s.Write(log); err != nil {
			t.Fatal(err)
		}
		if v, ok := s.Result(); ok {
			if _, err := ParsePercent(v); err != nil {
				t.Errorf("figure %q is not a number: %v", v, err)
			}
		}
	})
}
