package report

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
)

// Coverage is what a Cobertura report says about line coverage, overall and
// per file (for per-path thresholds).
type Coverage struct {
	// LineRate is the report's overall line-rate, 0 to 1: the root
	// attribute when present, else computed from the lines.
	LineRate float64
	// LinesCovered and LinesValid are the root's counts when present,
	// else sums over the files.
	LinesCovered, LinesValid int
	// Sources are the <source> directories filenames are relative to.
	Sources []string
	// Files by filename as written in the report.
	Files map[string]*FileCoverage
}

// Percent is LineRate as a percentage, the figure GitLab shows.
func (c *Coverage) Percent() float64 { return c.LineRate * 100 }

// SortedFiles returns the files in filename order.
func (c *Coverage) SortedFiles() []*FileCoverage {
	out := make([]*FileCoverage, 0, len(c.Files))
	for _, f := range c.Files {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Filename < out[j].Filename })
	return out
}

// FileCoverage is the line coverage of one source file. A file that appears
// in several <class> elements (inner classes) is counted once per line.
type FileCoverage struct {
	Filename       string
	Covered, Valid int
	valid, covered bitset
}

// Rate is Covered/Valid, or 1 for a file without coverable lines.
func (f *FileCoverage) Rate() float64 {
	if f.Valid == 0 {
		return 1
	}
	return float64(f.Covered) / float64(f.Valid)
}

// maxLine bounds line numbers so that a hostile report cannot make the
// per-file bitsets huge.
const maxLine = 1_000_000

type bitset []uint64

// set sets bit n and reports whether it was clear.
func (b *bitset) set(n int) bool {
	w := n / 64
	if w >= len(*b) {
		*b = append(*b, make([]uint64, w-len(*b)+1)...)
	}
	m := uint64(1) << (n % 64)
	was := (*b)[w]&m != 0
	(*b)[w] |= m
	return !was
}

// ParseCoberturaFile parses the Cobertura report at path.
func ParseCoberturaFile(path string) (*Coverage, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cobertura report: %w", err)
	}
	defer f.Close() // read-only: a close error cannot lose data
	return ParseCobertura(f, path)
}

// ParseCobertura reads a Cobertura XML report (coverage.py, gcovr,
// cobertura, jacoco converters) streaming. name is used in errors only.
func ParseCobertura(r io.Reader, name string) (*Coverage, error) {
	d := newXMLDecoder(r)
	c := &Coverage{Files: map[string]*FileCoverage{}}
	var (
		rootSeen               bool
		rootRate               = -1.0
		rootCovered, rootValid = -1, -1
		file                   *FileCoverage
		inSource               bool
		source                 []byte
	)
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, xmlError("cobertura", name, d, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if !rootSeen {
				rootSeen = true
				if t.Name.Local != "coverage" {
					return nil, fmt.Errorf("cobertura report %s: root element is <%s>, want <coverage> (is this a Cobertura XML file?)", name, t.Name.Local)
				}
				rootRate = parseFloat(attr(t, "line-rate"), -1)
				rootCovered = parseInt(attr(t, "lines-covered"), -1)
				rootValid = parseInt(attr(t, "lines-valid"), -1)
				continue
			}
			switch t.Name.Local {
			case "source":
				inSource, source = true, source[:0]
			case "class":
				fn := attr(t, "filename")
				file = c.Files[fn]
				if file == nil {
					file = &FileCoverage{Filename: fn}
					c.Files[fn] = file
				}
			case "line":
				// Lines under <method> repeat the class's lines: the
				// per-file bitsets count each line number once.
				if file == nil {
					continue
				}
				n := parseInt(attr(t, "number"), -1)
				if n < 0 || n > maxLine {
					line, _ := d.InputPos()
					return nil, fmt.Errorf("cobertura report %s:%d: line number %q out of range", name, line, attr(t, "number"))
				}
				if file.valid.set(n) {
					file.Valid++
				}
				if hits := parseInt(attr(t, "hits"), 0); hits > 0 && file.covered.set(n) {
					file.Covered++
				}
			}
		case xml.CharData:
			if inSource {
				source = append(source, t...)
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "source":
				inSource = false
				c.Sources = append(c.Sources, string(source))
			case "class":
				file = nil
			}
		}
	}
	if !rootSeen {
		return nil, fmt.Errorf("cobertura report %s: no XML element found (is the file empty?)", name)
	}
	covered, valid := 0, 0
	for _, f := range c.Files {
		covered += f.Covered
		valid += f.Valid
		f.valid, f.covered = nil, nil
	}
	c.LinesCovered, c.LinesValid = covered, valid
	if rootCovered >= 0 && rootValid >= 0 {
		c.LinesCovered, c.LinesValid = rootCovered, rootValid
	}
	switch {
	case rootRate >= 0:
		c.LineRate = rootRate
	case c.LinesValid > 0:
		c.LineRate = float64(c.LinesCovered) / float64(c.LinesValid)
	default:
		c.LineRate = 1
	}
	return c, nil
}

func parseFloat(s string, def float64) float64 {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return def
	}
	return f
}

func parseInt(s string, def int) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return def
	}
	return n
}
