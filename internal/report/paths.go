package report

import (
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// Lines is the line coverage of a set of files taken together.
type Lines struct {
	Files, Covered, Valid int
}

// Rate is Covered/Valid, or 1 when the files have no coverable line (as
// FileCoverage.Rate).
func (l Lines) Rate() float64 {
	if l.Valid == 0 {
		return 1
	}
	return float64(l.Covered) / float64(l.Valid)
}

// Percent is Rate as a percentage.
func (l Lines) Percent() float64 { return l.Rate() * 100 }

// Match sums the lines of the files whose names, as the report writes
// them, match the doublestar pattern glob (**, *, ?, classes, {a,b}). A
// name's leading "./" and Windows separators are ignored, so that reports
// from other tools and platforms match the same globs. Only a malformed
// glob is an error.
func (c *Coverage) Match(glob string) (Lines, error) {
	var l Lines
	if !doublestar.ValidatePattern(glob) {
		return l, doublestar.ErrBadPattern
	}
	for name, f := range c.Files {
		if !doublestar.MatchUnvalidated(glob, slashName(name)) {
			continue
		}
		l.Files++
		l.Covered += f.Covered
		l.Valid += f.Valid
	}
	return l, nil
}

// slashName is a report's file name with forward slashes and without a
// leading "./".
func slashName(name string) string {
	name = strings.ReplaceAll(name, `\`, "/")
	for strings.HasPrefix(name, "./") {
		name = name[2:]
	}
	return name
}
