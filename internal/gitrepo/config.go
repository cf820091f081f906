package gitrepo

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// configEntry is one variable of a git config file: its full name as git
// compares it (section and key lowercased, a quoted subsection as
// written) and its value. A key with no "=" has no value (git reads it as
// boolean true; `git config --get` prints it as an empty line).
type configEntry struct {
	name    string
	value   string
	noValue bool
}

// errConfigSyntax is a config file git itself would refuse.
var errConfigSyntax = errors.New("bad config line")

// parseConfig reads a git config file the way git's own parser does
// (config.c): sections "[section]", "[section "sub"]" and the legacy
// "[section.sub]", keys of letters, digits and '-', values with quotes,
// the escapes \n \t \b \" \\, backslash-newline continuations, '#' and ';'
// comments, and whitespace outside quotes folded to single spaces. What git
// would refuse is an error.
func parseConfig(data []byte) ([]configEntry, error) {
	p := configParser{data: bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))}
	var entries []configEntry
	section := ""
	comment := false
	for {
		c := p.next()
		if c == '\n' {
			if p.eof {
				return entries, nil
			}
			comment = false
			continue
		}
		if comment || isSpace(c) {
			continue
		}
		switch {
		case c == '#' || c == ';':
			comment = true
		case c == '[':
			s, ok := p.section()
			if !ok || s == "" {
				return nil, fmt.Errorf("line %d: %w", p.line, errConfigSyntax)
			}
			section = s + "."
		case isAlpha(c):
			// git reads a key before any section too (named without one).
			e, ok := p.entry(c)
			if !ok {
				return nil, fmt.Errorf("line %d: %w", p.line, errConfigSyntax)
			}
			e.name = section + e.name
			entries = append(entries, e)
		default:
			return nil, fmt.Errorf("line %d: %w", p.line, errConfigSyntax)
		}
	}
}

type configParser struct {
	data []byte
	pos  int
	line int
	eof  bool
}

// next returns the next byte, "\r\n" as '\n', and '\n' at the end.
func (p *configParser) next() byte {
	if p.pos >= len(p.data) {
		p.eof = true
		return '\n'
	}
	c := p.data[p.pos]
	p.pos++
	if c == '\r' && p.pos < len(p.data) && p.data[p.pos] == '\n' {
		p.pos++
		c = '\n'
	}
	if c == '\n' {
		p.line++
	}
	return c
}

// section reads a section header after its '['.
func (p *configParser) section() (string, bool) {
	var name []byte
	for {
		c := p.next()
		switch {
		case p.eof:
			return "", false
		case c == ']':
			return string(name), true
		case isSpace(c):
			return p.subsection(string(name), c)
		case !isKeyChar(c) && c != '.':
			return "", false
		}
		name = append(name, toLower(c))
	}
}

// subsection reads ` "sub"]` after a section name; the subsection keeps
// its case, and a backslash takes the next character as it is.
func (p *configParser) subsection(name string, c byte) (string, bool) {
	for isSpace(c) {
		if c == '\n' {
			return "", false
		}
		c = p.next()
	}
	if c != '"' {
		return "", false
	}
	sub := []byte(name + ".")
	for {
		c := p.next()
		if c == '\n' {
			return "", false
		}
		if c == '"' {
			break
		}
		if c == '\\' {
			if c = p.next(); c == '\n' {
				return "", false
			}
		}
		sub = append(sub, c)
	}
	return string(sub), p.next() == ']'
}

// entry reads "key [= value]" from its first letter.
func (p *configParser) entry(first byte) (configEntry, bool) {
	name := []byte{toLower(first)}
	c := p.next()
	for !p.eof && isKeyChar(c) {
		name = append(name, toLower(c))
		c = p.next()
	}
	for c == ' ' || c == '\t' {
		c = p.next()
	}
	e := configEntry{name: string(name)}
	if c == '\n' {
		e.noValue = true
		return e, true
	}
	if c != '=' {
		return e, false
	}
	v, ok := p.value()
	e.value = v
	return e, ok
}

// value reads a value up to the end of its line.
func (p *configParser) value() (string, bool) {
	var v []byte
	quote, comment, spaces := false, false, 0
	for {
		c := p.next()
		if c == '\n' {
			return string(v), !quote
		}
		if comment {
			continue
		}
		if isSpace(c) && !quote {
			if len(v) > 0 {
				spaces++
			}
			continue
		}
		if !quote && (c == ';' || c == '#') {
			comment = true
			continue
		}
		for ; spaces > 0; spaces-- {
			v = append(v, ' ')
		}
		switch c {
		case '\\':
			switch c = p.next(); c {
			case '\n':
				continue
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'n':
				c = '\n'
			case '\\', '"':
			default:
				return "", false
			}
		case '"':
			quote = !quote
			continue
		}
		v = append(v, c)
	}
}

// isSpace is git's isspace: only space, tab, newline and carriage return.
func isSpace(c byte) bool   { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
func isAlpha(c byte) bool   { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }
func isKeyChar(c byte) bool { return isAlpha(c) || (c >= '0' && c <= '9') || c == '-' }
func toLower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// hasInclude reports whether entries pull in other files, which only git
// resolves exactly (includeIf conditions).
func hasInclude(entries []configEntry) bool {
	for _, e := range entries {
		if strings.HasPrefix(e.name, "include.") || strings.HasPrefix(e.name, "includeif.") {
			return true
		}
	}
	return false
}

// lastValue is the value `git config --get` prints for name in entries:
// the last one. ok is false when no entry has the name.
func lastValue(entries []configEntry, name string) (value string, ok bool) {
	for _, e := range entries {
		if e.name == name {
			value, ok = e.value, true
		}
	}
	return value, ok
}

// readConfigFile parses the config file at path; a missing file is empty.
func readConfigFile(path string) ([]configEntry, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	entries, err := parseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return entries, nil
}

// outerConfigFiles are the config files git reads before the repository's
// own, in order: the system file, then the global ones.
func outerConfigFiles() ([]string, error) {
	var files []string
	noSystem, err := envBool("GIT_CONFIG_NOSYSTEM")
	if err != nil {
		return nil, err
	}
	if !noSystem {
		if p, ok := os.LookupEnv("GIT_CONFIG_SYSTEM"); ok {
			files = append(files, p)
		} else {
			// Debian's git (and most distributions') reads this one; a
			// git built with another prefix reads its own.
			files = append(files, "/etc/gitconfig")
		}
	}
	if p, ok := os.LookupEnv("GIT_CONFIG_GLOBAL"); ok {
		if p == "" {
			return nil, fmt.Errorf("GIT_CONFIG_GLOBAL is empty: %w", errUnsupported)
		}
		return append(files, p), nil
	}
	home := os.Getenv("HOME")
	xdg := os.Getenv("XDG_CONFIG_HOME")
	if xdg == "" && home != "" {
		xdg = filepath.Join(home, ".config")
	}
	if xdg != "" {
		files = append(files, filepath.Join(xdg, "git", "config"))
	}
	if home != "" {
		files = append(files, filepath.Join(home, ".gitconfig"))
	}
	return files, nil
}

// envBool reads a boolean environment variable as git does: unset or
// empty is false; other spellings it does not know are left to git.
func envBool(name string) (bool, error) {
	switch strings.ToLower(os.Getenv(name)) {
	case "", "false", "no", "off", "0":
		return false, nil
	case "true", "yes", "on", "1":
		return true, nil
	}
	return false, fmt.Errorf("%s: %w", name, errUnsupported)
}
