package cli

import "strings"

// gclEntry is one NAME=value of a gitlab-ci-local options file, with the
// line and column of its value.
type gclEntry struct {
	key, value string
	line, col  int
}

// parseGCLDotenv reads a gitlab-ci-local options file the way the dotenv
// library it uses does, so that a file it accepts reads the same here:
//
//	# comment                  blank lines and comments are skipped
//	export NAME=value          export is optional; NAME is letters, digits, _ . -
//	NAME: value                a colon and a blank work as =
//	NAME=value # comment       unquoted: up to #, blanks trimmed
//	NAME="a\nb"  NAME='a'      quoted: may span lines; \n and \r escapes
//	NAME=`a`                   in double quotes only
//
// A later NAME wins. The lines that are none of these are returned as bad
// (dotenv skips them silently; gantry says so).
func parseGCLDotenv(text string) (entries []gclEntry, bad []int) {
	text = strings.TrimPrefix(text, "\uFEFF")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	lines := strings.Split(text, "\n")
	index := map[string]int{}
	for i := 0; i < len(lines); i++ {
		lineNo := i + 1
		line := lines[i]
		rest := strings.TrimLeft(line, " \t")
		if rest == "" || rest[0] == '#' {
			continue
		}
		if after, ok := strings.CutPrefix(rest, "export"); ok && after != "" && (after[0] == ' ' || after[0] == '\t') {
			if trimmed := strings.TrimLeft(after, " \t"); dotenvKeyLen(trimmed) > 0 {
				rest = trimmed
			}
		}
		n := dotenvKeyLen(rest)
		if n == 0 {
			bad = append(bad, lineNo)
			continue
		}
		key := rest[:n]
		rest = rest[n:]
		afterBlanks := strings.TrimLeft(rest, " \t")
		switch {
		case strings.HasPrefix(afterBlanks, "="):
			rest = afterBlanks[1:]
		case strings.HasPrefix(rest, ":") && len(rest) > 1 && (rest[1] == ' ' || rest[1] == '\t'):
			rest = rest[1:]
		default:
			bad = append(bad, lineNo)
			continue
		}
		rest = strings.TrimLeft(rest, " \t")
		col := len(line) - len(rest) + 1
		value, consumed := dotenvValue(rest, lines[i+1:])
		i += consumed
		e := gclEntry{key: key, value: value, line: lineNo, col: col}
		if at, ok := index[key]; ok {
			entries[at] = e
			continue
		}
		index[key] = len(entries)
		entries = append(entries, e)
	}
	return entries, bad
}

// dotenvKeyLen is the length of the name at the start of s.
func dotenvKeyLen(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == '.' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return i
		}
	}
	return len(s)
}

// dotenvValue reads a value starting at s, the rest of its line; a quoted
// one may go on over next. It returns the value and how many of next it
// used.
func dotenvValue(s string, next []string) (string, int) {
	if s != "" && (s[0] == '"' || s[0] == '\'' || s[0] == '`') {
		q := s[0]
		body := s[1:]
		for used := 0; ; used++ {
			if end := closingQuote(body, q); end >= 0 {
				tail := strings.TrimLeft(body[end+1:], " \t")
				if tail == "" || tail[0] == '#' {
					v := body[:end]
					if q == '"' {
						v = strings.ReplaceAll(v, `\n`, "\n")
						v = strings.ReplaceAll(v, `\r`, "\r")
					}
					return v, used
				}
				break // "a" b: not a quoted value
			}
			if used == len(next) {
				break // never closed: read as unquoted
			}
			body += "\n" + next[used]
		}
	}
	v, _, _ := strings.Cut(s, "#")
	return strings.TrimSpace(v), 0
}

// closingQuote is the index in s of the first q not escaped by a
// backslash, or -1.
func closingQuote(s string, q byte) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case q:
			return i
		}
	}
	return -1
}
