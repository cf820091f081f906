package fnmatch

import (
	"strings"
	"unicode/utf8"
)

// Match reports whether path matches pattern as Ruby's
// File.fnmatch?(pattern, path, File::FNM_PATHNAME | File::FNM_DOTMATCH |
// File::FNM_EXTGLOB) says, the call GitLab makes for rules:changes,
// only/except:changes and rules:exists, in jobs and in include:rules.
// Every pattern is valid: one Ruby cannot parse matches nothing. Its rules differ from other glob libraries':
//   - {a,b} is expanded as text first, nested braces too; a pattern with
//     an unclosed { matches nothing;
//   - * and ? never cross a /, and match a leading dot;
//   - **/ at the start of a segment matches zero or more directories,
//     hidden ones included; ** anywhere else is *, so docs/** matches
//     docs/a but not docs/a/b;
//   - [...] and [!...] or [^...] match one character, never /; a class
//     without its closing ] matches nothing;
//   - \ escapes the next character; ./ is not special.
func Match(pattern, path string) bool {
	matched := false
	braceExpand(pattern, func(p string) bool {
		matched = fnmatchPath(p, path)
		return matched
	})
	return matched
}

// braceExpand calls fn with each alternative of the first outermost
// {...} of pattern, recursively, until fn returns true; with none, fn
// sees the pattern itself. As Ruby's ruby_brace_expand, a { without its }
// yields nothing.
func braceExpand(pattern string, fn func(string) bool) bool {
	lbrace, rbrace, nest := -1, -1, 0
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		if c == '{' {
			if nest == 0 {
				lbrace = i
			}
			nest++
		}
		if c == '}' && lbrace >= 0 {
			nest--
			if nest == 0 {
				rbrace = i
				break
			}
		}
		if c == '\\' {
			i++
		}
	}
	switch {
	case lbrace < 0 && rbrace < 0:
		return fn(pattern)
	case rbrace < 0:
		return false
	}
	prefix, suffix := pattern[:lbrace], pattern[rbrace+1:]
	for i := lbrace; i < rbrace; {
		start := i + 1
		i = start
		nest := 0
		for i < rbrace && (pattern[i] != ',' || nest != 0) {
			switch pattern[i] {
			case '{':
				nest++
			case '}':
				nest--
			case '\\':
				if i+1 < rbrace {
					i++
				}
			}
			i++
		}
		if braceExpand(prefix+pattern[start:i]+suffix, fn) {
			return true
		}
	}
	return false
}

// fnmatchPath matches segment by segment, with **/ backtracking over
// whole directories (Ruby's fnmatch with FNM_PATHNAME).
func fnmatchPath(p, s string) bool {
	// Where a **/ may take one more directory: the pattern after it and
	// the path where its match ends.
	ptmp, stmp := -1, -1
	pi, si := 0, 0
	for {
		if strings.HasPrefix(p[pi:], "**/") {
			for strings.HasPrefix(p[pi:], "**/") {
				pi += 3
			}
			ptmp, stmp = pi, si
		}
		if np, ns, ok := fnmatchSegment(p, pi, s, si); ok {
			pi, si = np, ns
			for si < len(s) && s[si] != '/' {
				si++
			}
			if pi < len(p) && si < len(s) {
				pi++
				si++
				continue
			}
			if pi == len(p) && si == len(s) {
				return true
			}
		}
		// Let the last **/ take one more directory.
		if ptmp >= 0 {
			for stmp < len(s) && s[stmp] != '/' {
				stmp++
			}
			if stmp < len(s) {
				stmp++
				pi, si = ptmp, stmp
				continue
			}
		}
		return false
	}
}

// fnmatchSegment matches the segment of p at pi (up to a / or the end)
// against the one of s at si, and returns where both stopped.
func fnmatchSegment(p string, pi int, s string, si int) (int, int, bool) {
	end := func(str string, i int) bool { return i >= len(str) || str[i] == '/' }
	unescape := func(i int) int {
		if i < len(p) && p[i] == '\\' {
			return i + 1
		}
		return i
	}
	ptmp, stmp := -1, -1
	for {
		switch {
		case pi < len(p) && p[pi] == '*':
			for pi < len(p) && p[pi] == '*' {
				pi++
			}
			if end(p, unescape(pi)) {
				return unescape(pi), si, true
			}
			if end(s, si) {
				return pi, si, false
			}
			ptmp, stmp = pi, si
			continue
		case pi < len(p) && p[pi] == '?':
			if end(s, si) {
				return pi, si, false
			}
			pi++
			si += runeLen(s, si)
			continue
		case pi < len(p) && p[pi] == '[':
			if end(s, si) {
				return pi, si, false
			}
			if next, ok := bracket(p, pi+1, s, si); ok {
				pi = next
				si += runeLen(s, si)
				continue
			}
		default:
			pi = unescape(pi)
			if end(s, si) {
				return pi, si, end(p, pi)
			}
			if !end(p, pi) {
				n := runeLen(p, pi)
				if strings.HasPrefix(s[si:], p[pi:pi+n]) {
					pi += n
					si += n
					continue
				}
			}
		}
		// Failed here: let the last * take one more character.
		if ptmp < 0 {
			return pi, si, false
		}
		pi = ptmp
		stmp += runeLen(s, stmp)
		si = stmp
	}
}

// bracket matches the character of s at si against the class that
// starts at p[pi] (after its [), and returns the index after its ].
func bracket(p string, pi int, s string, si int) (int, bool) {
	if pi >= len(p) {
		return 0, false
	}
	not := false
	if p[pi] == '!' || p[pi] == '^' {
		not = true
		pi++
	}
	c, _ := utf8.DecodeRuneInString(s[si:])
	ok := false
	for pi >= len(p) || p[pi] != ']' {
		t1 := pi
		if t1 < len(p) && p[t1] == '\\' {
			t1++
		}
		if t1 >= len(p) {
			return 0, false
		}
		c1, n1 := utf8.DecodeRuneInString(p[t1:])
		pi = t1 + n1
		if pi >= len(p) {
			return 0, false
		}
		if p[pi] == '-' && pi+1 < len(p) && p[pi+1] != ']' {
			t2 := pi + 1
			if p[t2] == '\\' {
				t2++
			}
			if t2 >= len(p) {
				return 0, false
			}
			c2, n2 := utf8.DecodeRuneInString(p[t2:])
			pi = t2 + n2
			// A reversed range still matches its ends, as Ruby's does.
			if c == c1 || c == c2 || (c1 <= c && c <= c2) {
				ok = true
			}
			continue
		}
		if c1 == c {
			ok = true
		}
	}
	if ok == not {
		return 0, false
	}
	return pi + 1, true
}

// runeLen is the length of the character at s[i], at least 1.
func runeLen(s string, i int) int {
	if i >= len(s) {
		return 1
	}
	_, n := utf8.DecodeRuneInString(s[i:])
	return n
}
