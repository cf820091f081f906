package workspace

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
)

// Variable is one variable a dotenv report passes to later jobs.
type Variable struct {
	Key, Value string
}

// DotenvLimits bound a dotenv report as GitLab's instance limits do.
type DotenvLimits struct {
	// MaxBytes: the file must be smaller than this.
	MaxBytes int64
	// MaxVariables: at most this many distinct variables.
	MaxVariables int
}

// DefaultDotenvLimits are GitLab's defaults for self-managed instances
// (dotenv_size 5 KiB, dotenv_variables 150).
var DefaultDotenvLimits = DotenvLimits{MaxBytes: 5 << 10, MaxVariables: 150}

// maxKeyLen is GitLab's limit on a variable name.
const maxKeyLen = 255

// ParseDotenv reads a dotenv report the way GitLab does, which is stricter
// than the dotenv libraries:
//   - every line is KEY=VALUE: empty lines and # comments are errors;
//   - the key is ASCII letters, digits and _ only (so no `export KEY=`);
//   - blanks around key and value are dropped; quotes are kept as written
//     (KEY="a b" gives the value "a b" with its quotes), nothing is expanded
//     and a value cannot span lines;
//   - a later line with the same key wins;
//   - UTF-16 files (PowerShell's default) are converted, a BOM is dropped.
//
// name is used in errors, which give the line number.
func ParseDotenv(r io.Reader, name string, lim DotenvLimits) ([]Variable, error) {
	data, err := io.ReadAll(io.LimitReader(r, lim.MaxBytes))
	if err != nil {
		return nil, fmt.Errorf("dotenv report %s: %w", name, err)
	}
	if int64(len(data)) >= lim.MaxBytes {
		return nil, fmt.Errorf("dotenv report %s: too big: it must be smaller than %d bytes", name, lim.MaxBytes)
	}
	text := decodeText(data)
	var vars []Variable
	index := map[string]int{}
	lineNo := 0
	for len(text) > 0 {
		lineNo++
		line, rest, _ := strings.Cut(text, "\n")
		text = rest
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("dotenv report %s:%d: %q is not KEY=VALUE (empty lines and comments are not allowed)", name, lineNo, line)
		}
		key, value = rubyStrip(key), rubyStrip(value)
		if err := checkKey(key); err != nil {
			return nil, fmt.Errorf("dotenv report %s:%d: %w", name, lineNo, err)
		}
		vars = setVariable(vars, index, Variable{Key: key, Value: value})
	}
	if len(vars) > lim.MaxVariables {
		return nil, fmt.Errorf("dotenv report %s: %d variables, at most %d are allowed", name, len(vars), lim.MaxVariables)
	}
	return vars, nil
}

// setVariable adds v to vars, whose positions index maps by key, or
// replaces the value of the variable already there: a later line wins,
// in the place of the first.
func setVariable(vars []Variable, index map[string]int, v Variable) []Variable {
	if i, ok := index[v.Key]; ok {
		vars[i].Value = v.Value
		return vars
	}
	index[v.Key] = len(vars)
	return append(vars, v)
}

func checkKey(key string) error {
	if key == "" {
		return fmt.Errorf("empty variable name")
	}
	if len(key) > maxKeyLen {
		return fmt.Errorf("variable name %.20q... is longer than %d characters", key, maxKeyLen)
	}
	for _, c := range []byte(key) {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			hint := "use only letters, digits and _"
			if strings.HasPrefix(key, "export ") {
				hint = "remove `export`"
			}
			return fmt.Errorf("variable name %q: %s", key, hint)
		}
	}
	return nil
}

// rubyStrip trims what Ruby's String#strip trims: ASCII whitespace and NUL.
func rubyStrip(s string) string {
	return strings.Trim(s, " \t\n\v\f\r\x00")
}

// decodeText returns data as valid UTF-8 without a byte order mark.
func decodeText(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		return decodeUTF16(data[2:], false)
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return decodeUTF16(data[2:], true)
	}
	data = bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF})
	return strings.ToValidUTF8(string(data), "\uFFFD")
}

func decodeUTF16(b []byte, bigEndian bool) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		if bigEndian {
			u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
		} else {
			u = append(u, uint16(b[i+1])<<8|uint16(b[i]))
		}
	}
	return string(utf16.Decode(u))
}

// formatDotenv writes variables back as a report ParseDotenv reads
// unchanged: values never contain a newline, and keys are checked.
func formatDotenv(vars []Variable) []byte {
	var b bytes.Buffer
	for _, v := range vars {
		b.WriteString(v.Key)
		b.WriteByte('=')
		b.WriteString(v.Value)
		b.WriteByte('\n')
	}
	return b.Bytes()
}
