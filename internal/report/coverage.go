package report

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// CoverageRegexp is a job's `coverage:` regex, compiled.
type CoverageRegexp struct {
	re *regexp.Regexp
}

// numberRe finds the figure in whatever the job's regex matched, as GitLab
// does: the first integer or decimal.
var numberRe = regexp.MustCompile(`\d+(\.\d+)?`)

// CompileCoverage compiles a `coverage:` value. GitLab writes it /regex/,
// optionally with flags i, m (dot matches newline) or s; a bare regex is
// accepted too. The syntax is RE2, which GitLab also uses.
func CompileCoverage(expr string) (*CoverageRegexp, error) {
	src, flags := expr, ""
	if strings.HasPrefix(expr, "/") {
		end := strings.LastIndex(expr, "/")
		if end == 0 {
			return nil, fmt.Errorf("coverage regex %q: missing closing / (write it as /regex/)", expr)
		}
		src, flags = expr[1:end], expr[end+1:]
	}
	prefix := ""
	for _, f := range flags {
		switch f {
		case 'i':
			prefix += "i"
		case 'm', 's':
			// Ruby's /m is RE2's s: dot matches a newline.
			prefix += "s"
		default:
			return nil, fmt.Errorf("coverage regex %q: unsupported flag %q (use i or m)", expr, f)
		}
	}
	if prefix != "" {
		src = "(?" + prefix + ")" + src
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, fmt.Errorf("coverage regex %q: %w (the syntax is RE2: no lookaround or backreferences)", expr, err)
	}
	return &CoverageRegexp{re: re}, nil
}

// MatchLine returns the coverage figure in one log line (without its
// newline), if any: the last match's last capture group (the whole match
// without groups), and in it the first number.
func (c *CoverageRegexp) MatchLine(line []byte) (string, bool) {
	ms := c.re.FindAllSubmatchIndex(line, -1)
	if len(ms) == 0 {
		return "", false
	}
	m := ms[len(ms)-1]
	// GitLab flattens the groups of all matches and takes the last one.
	start, end := m[len(m)-2], m[len(m)-1]
	if start < 0 {
		return "", false
	}
	n := numberRe.Find(line[start:end])
	if n == nil {
		return "", false
	}
	return string(n), true
}

// maxCoverageLine caps how much of one line is searched, so that a job
// printing megabytes without a newline cannot make the scanner buffer them.
const maxCoverageLine = 64 << 10

// CoverageScanner applies a coverage regex to a log as it is written. Like
// GitLab, the last line with a figure wins. It is an io.Writer so that it
// can sit beside the log file in a MultiWriter; it is not safe for
// concurrent use.
type CoverageScanner struct {
	re      *CoverageRegexp
	partial []byte
	over    bool // the current line passed maxCoverageLine
	found   string
}

// NewCoverageScanner returns a scanner for re.
func NewCoverageScanner(re *CoverageRegexp) *CoverageScanner {
	return &CoverageScanner{re: re}
}

// Write scans complete lines of p and keeps the rest for the next call.
func (s *CoverageScanner) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			s.buffer(p)
			break
		}
		if len(s.partial) == 0 && !s.over {
			s.line(p[:i])
		} else {
			s.buffer(p[:i])
			s.line(s.partial)
			s.partial, s.over = s.partial[:0], false
		}
		p = p[i+1:]
	}
	return n, nil
}

func (s *CoverageScanner) buffer(p []byte) {
	room := maxCoverageLine - len(s.partial)
	if len(p) > room {
		p, s.over = p[:room], true
	}
	s.partial = append(s.partial, p...)
}

func (s *CoverageScanner) line(l []byte) {
	l = bytes.TrimSuffix(l, []byte("\r"))
	if v, ok := s.re.MatchLine(l); ok {
		s.found = v
	}
}

// Result scans an unterminated last line and returns the figure, as text
// ("78.46") the way GitLab shows it.
func (s *CoverageScanner) Result() (string, bool) {
	if len(s.partial) > 0 {
		s.line(s.partial)
		s.partial, s.over = s.partial[:0], false
	}
	return s.found, s.found != ""
}

// ParsePercent converts a figure from Result to a number.
func ParsePercent(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("coverage figure %q: %w", s, err)
	}
	return f, nil
}
