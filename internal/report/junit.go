package report

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// TestStatus is the outcome of one test case, as GitLab classifies it.
type TestStatus int

// The test statuses. A case with several outcome elements takes the first
// of failure, error, skipped, as GitLab's parser does.
const (
	TestPassed TestStatus = iota
	TestFailed
	TestError
	TestSkipped
)

// String returns the status as GitLab's test report shows it.
func (s TestStatus) String() string {
	switch s {
	case TestPassed:
		return "success"
	case TestFailed:
		return "failed"
	case TestError:
		return "error"
	case TestSkipped:
		return "skipped"
	}
	return "unknown"
}

// Limits on what a summary keeps, so that a report with a million failing
// tests or megabytes of stack trace per failure stays small in memory.
const (
	// MaxKeptFailures is how many failed or errored cases a summary lists.
	MaxKeptFailures = 1000
	// MaxOutputBytes is how much of a failure's text is kept.
	MaxOutputBytes = 4 << 10
)

// TestCase is one failed or errored test.
type TestCase struct {
	Suite     string
	Classname string
	Name      string
	File      string
	Status    TestStatus
	// Message is the failure's message attribute; Output its text (a stack
	// trace, usually), cut to MaxOutputBytes.
	Message string
	Output  string
}

// FullName is the name a user searches for: classname.name when the class
// is known.
func (c TestCase) FullName() string {
	if c.Classname == "" || strings.HasPrefix(c.Name, c.Classname) {
		return c.Name
	}
	return c.Classname + "." + c.Name
}

// TestSummary counts the cases of one or more JUnit reports.
type TestSummary struct {
	Total, Passed, Failed, Errors, Skipped int
	// Duration is the sum of the cases' time attributes, in seconds.
	Duration float64
	// Failures lists failed and errored cases in report order, at most
	// MaxKeptFailures; Omitted counts the ones left out.
	Failures []TestCase
	Omitted  int
}

// Add merges o into s, as GitLab sums the reports of a job.
func (s *TestSummary) Add(o *TestSummary) {
	s.Total += o.Total
	s.Passed += o.Passed
	s.Failed += o.Failed
	s.Errors += o.Errors
	s.Skipped += o.Skipped
	s.Duration += o.Duration
	s.Omitted += o.Omitted
	for _, f := range o.Failures {
		s.keep(f)
	}
}

func (s *TestSummary) keep(c TestCase) {
	if len(s.Failures) >= MaxKeptFailures {
		s.Omitted++
		return
	}
	s.Failures = append(s.Failures, c)
}

func (s *TestSummary) count(c TestCase, seconds float64) {
	s.Total++
	s.Duration += seconds
	switch c.Status {
	case TestPassed:
		s.Passed++
	case TestSkipped:
		s.Skipped++
	case TestFailed:
		s.Failed++
		s.keep(c)
	case TestError:
		s.Errors++
		s.keep(c)
	}
}

// ParseJUnitFiles parses each file and sums them.
func ParseJUnitFiles(paths ...string) (*TestSummary, error) {
	total := &TestSummary{}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("junit report: %w", err)
		}
		s, err := ParseJUnit(f, p)
		f.Close() // read-only: a close error cannot lose data
		if err != nil {
			return nil, err
		}
		total.Add(s)
	}
	return total, nil
}

// ParseJUnit reads one JUnit XML report streaming, so its size does not
// matter. The root is <testsuites> or <testsuite>; suites may nest. name is
// used in errors only.
func ParseJUnit(r io.Reader, name string) (*TestSummary, error) {
	d := newXMLDecoder(r)
	s := &TestSummary{}
	var (
		suites   []string // enclosing suite names, innermost last
		depth    int
		inCase   bool
		caseAt   int // depth of the open <testcase>
		cur      TestCase
		seconds  float64
		outcome  string // element whose text is being collected
		outDepth int
		text     strings.Builder
		rootSeen bool
	)
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, xmlError("junit", name, d, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			local := t.Name.Local
			if !rootSeen {
				rootSeen = true
				if local != "testsuites" && local != "testsuite" {
					return nil, fmt.Errorf("junit report %s: root element is <%s>, want <testsuites> or <testsuite> (is this a JUnit XML file?)", name, local)
				}
			}
			switch {
			case local == "testsuite":
				suites = append(suites, attr(t, "name"))
			case local == "testcase" && !inCase:
				inCase, caseAt = true, depth
				cur = TestCase{Name: attr(t, "name"), Classname: attr(t, "classname"), File: attr(t, "file")}
				if len(suites) > 0 {
					cur.Suite = suites[len(suites)-1]
				}
				seconds, _ = strconv.ParseFloat(attr(t, "time"), 64) // a missing or odd time counts as 0
			case inCase && depth == caseAt+1 && (local == "failure" || local == "error" || local == "skipped"):
				st := map[string]TestStatus{"failure": TestFailed, "error": TestError, "skipped": TestSkipped}[local]
				if cur.Status == TestPassed || st < cur.Status {
					cur.Status = st
					cur.Message = attr(t, "message")
					outcome, outDepth = local, depth
					text.Reset()
				}
			}
		case xml.CharData:
			if outcome != "" && text.Len() < MaxOutputBytes {
				text.Write(t[:min(len(t), MaxOutputBytes-text.Len())])
			}
		case xml.EndElement:
			switch {
			case outcome != "" && depth == outDepth:
				cur.Output = strings.TrimSpace(text.String())
				outcome = ""
			case inCase && depth == caseAt:
				inCase = false
				s.count(cur, seconds)
			case t.Name.Local == "testsuite" && len(suites) > 0:
				suites = suites[:len(suites)-1]
			}
			depth--
		}
	}
	if !rootSeen {
		return nil, fmt.Errorf("junit report %s: no XML element found (is the file empty?)", name)
	}
	return s, nil
}
