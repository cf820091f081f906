package gitlabci

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Render writes n as YAML, like GitLab's "full configuration" view: keys in
// document order, two-space indentation, strings quoted where YAML (1.1,
// as GitLab reads it, or 1.2) would otherwise read them as another type.
// Unquoted numbers are written as GitLab loaded them, as its view does:
// PYTHON_VERSION: 3.10 as 3.1 (the string a job gets is "3.1"), 010 as 8,
// 12:30 as 45000; a plain 08 or 1e3, a string to GitLab, is quoted.
//
// It is a small block-style emitter of its own rather than yaml.v3's
// encoder: the merged view of a large pipeline is megabytes of YAML, and
// the generic encoder spent ten times longer on it than resolving did.
func Render(w io.Writer, n *Node) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	r := renderer{w: bw}
	r.value(n, 0, false)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	return nil
}

type renderer struct {
	w *bufio.Writer
}

func (r *renderer) indent(n int) {
	for i := 0; i < n; i++ {
		r.w.WriteString("  ")
	}
}

// value writes n at the given depth. inline says the cursor is after "key:"
// or "- " on the same line.
func (r *renderer) value(n *Node, depth int, inline bool) {
	switch {
	case n == nil || n.Kind == Null:
		r.scalarLine(inline, "null")
	case n.Kind == Scalar:
		if n.Tag == TagStr && strings.Contains(n.Value, "\n") && literalOK(n.Value) {
			r.literal(n.Value, depth, inline)
			return
		}
		r.scalarLine(inline, renderScalar(n))
	case n.Kind == Seq && n.Tag == TagReference:
		items := make([]string, len(n.Items))
		for i, it := range n.Items {
			items[i] = renderScalar(it)
		}
		r.scalarLine(inline, "!reference ["+strings.Join(items, ", ")+"]")
	case n.Kind == Seq:
		if len(n.Items) == 0 {
			r.scalarLine(inline, "[]")
			return
		}
		if inline {
			r.w.WriteByte('\n')
		}
		for _, it := range n.Items {
			r.indent(depth)
			r.w.WriteString("-")
			r.item(it, depth+1)
		}
	case n.Kind == Map:
		if len(n.Pairs) == 0 {
			r.scalarLine(inline, "{}")
			return
		}
		if inline {
			r.w.WriteByte('\n')
		}
		for _, p := range n.Pairs {
			if isDecorator(p.Key) {
				continue // comments in the file, not keys
			}
			r.indent(depth)
			r.w.WriteString(quoteIfNeeded(p.Key))
			r.w.WriteString(":")
			r.value(p.Value, depth+1, true)
		}
	}
}

// item writes a sequence item after its "-": maps start on the dash's line.
func (r *renderer) item(n *Node, depth int) {
	if n != nil && n.Kind == Map && len(n.Pairs) > 0 {
		for i, p := range n.Pairs {
			if i == 0 {
				r.w.WriteString(" ")
			} else {
				r.indent(depth)
			}
			r.w.WriteString(quoteIfNeeded(p.Key))
			r.w.WriteString(":")
			r.value(p.Value, depth+1, true)
		}
		return
	}
	if n != nil && n.Kind == Seq && n.Tag != TagReference && len(n.Items) > 0 {
		// A nested list: its first item on the dash's line.
		for i, it := range n.Items {
			if i == 0 {
				r.w.WriteString(" -")
			} else {
				r.indent(depth)
				r.w.WriteString("-")
			}
			r.item(it, depth+1)
		}
		return
	}
	r.value(n, depth, true)
}

func (r *renderer) scalarLine(inline bool, text string) {
	if inline {
		r.w.WriteByte(' ')
	}
	r.w.WriteString(text)
	r.w.WriteByte('\n')
}

// literal writes a multi-line string as a block scalar (|, |- or |+).
func (r *renderer) literal(s string, depth int, inline bool) {
	chomp := "-"
	body := s
	switch {
	case strings.HasSuffix(s, "\n\n"):
		chomp = "+"
		body = strings.TrimSuffix(s, "\n")
	case strings.HasSuffix(s, "\n"):
		chomp = ""
		body = strings.TrimSuffix(s, "\n")
	}
	if inline {
		r.w.WriteByte(' ')
	}
	r.w.WriteString("|" + chomp + "\n")
	for _, line := range strings.Split(body, "\n") {
		if line != "" {
			r.indent(depth)
			r.w.WriteString(line)
		}
		r.w.WriteByte('\n')
	}
}

// literalOK reports whether s can be written as a literal block scalar and
// read back unchanged.
func literalOK(s string) bool {
	if s == "" || s[0] == ' ' || s[0] == '\t' || s[0] == '\n' {
		return false
	}
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if strings.HasSuffix(line, " ") || strings.HasSuffix(line, "\t") {
			return false
		}
	}
	for _, c := range s {
		if c == '\r' || c == utf8.RuneError || (c != '\n' && c != '\t' && !unicode.IsPrint(c)) {
			return false
		}
	}
	return true
}

func renderScalar(n *Node) string {
	if n == nil || n.Kind == Null {
		return "null"
	}
	if n.Kind != Scalar {
		return `""`
	}
	if n.Plain {
		// As GitLab's view prints what Psych loaded: 3.10 as 3.1.
		return renderPlain(n.Value)
	}
	if n.Tag != TagStr {
		if implicitTag(n.Value, 0) != n.Tag {
			// An explicit tag the value does not imply (!!float 1) must
			// be written, or the value reads back as something else.
			return n.Tag + " " + quoteIfNeeded(n.Value)
		}
		return n.Value // numbers and booleans as written
	}
	return quoteIfNeeded(n.Value)
}

// nonString matches the bare words that YAML 1.1 (GitLab) or 1.2 would
// read as something other than a string: booleans, nulls, numbers.
var nonString = regexp.MustCompile(`^(?i:yes|no|on|off|true|false|null|~)$|^[-+]?(\.?[0-9]|\.(?i:inf|nan))|^0[xob]`)

// quoteIfNeeded returns s bare when YAML reads it back as the same string,
// else double-quoted. Go's quoting is valid YAML: every escape strconv.Quote
// writes (\a \b \f \n \r \t \v \xXX \uXXXX \UXXXXXXXX) is also a YAML one.
func quoteIfNeeded(s string) string {
	if plainOK(s) {
		return s
	}
	return strconv.Quote(s)
}

// plainOK is a conservative test for a plain (unquoted) block scalar.
func plainOK(s string) bool {
	if s == "" || s[0] == ' ' || s[len(s)-1] == ' ' || s[len(s)-1] == ':' || nonString.MatchString(s) {
		return false
	}
	switch s[0] {
	case '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
		return false
	case '-':
		if len(s) == 1 || s[1] == ' ' {
			return false
		}
	}
	if strings.Contains(s, ": ") || strings.Contains(s, " #") || !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		if c == utf8.RuneError || c == '\t' || !unicode.IsPrint(c) {
			return false
		}
	}
	return true
}
