package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/gantry-ci/gantry/internal/script"
)

// envVar is one entry of a variables file (.gantry/variables, --env-file)
// or of --secret.
type envVar struct {
	name, value  string
	masked, file bool
}

// maxEnvFile bounds a variables file: it holds secrets, not data.
const maxEnvFile = 1 << 20

// readEnvFile reads a variables file; a missing file is no variables when
// optional (the default .gantry/variables).
func readEnvFile(path string, optional bool) ([]envVar, error) {
	f, err := os.Open(path)
	if optional && errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("variables file: %w", err)
	}
	defer f.Close() // read-only
	return parseEnvFile(io.LimitReader(f, maxEnvFile), path)
}

// parseEnvFile reads the variables file format, one variable a line:
//
//	# a comment; blank lines are ignored
//	NAME=value
//	masked TOKEN=s3cr3t            # never shown: [MASKED] in all output
//	file KUBECONFIG="line 1\nline 2"  # a file variable: NAME holds a path
//	masked file KEY='single-quoted, taken as written'
//
// A value may be double-quoted (with \n, \t, \", \\ escapes) or
// single-quoted (literal); an unquoted value runs to the end of the line,
// blanks trimmed, and keeps any # in it. `export ` before the name is
// accepted, so a shell env file reads too.
func parseEnvFile(r io.Reader, name string) ([]envVar, error) {
	var out []envVar
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxEnvFile)
	for lineNo := 1; sc.Scan(); lineNo++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var v envVar
		for {
			word, rest, ok := strings.Cut(line, " ")
			if !ok {
				break
			}
			switch word {
			case "masked":
				v.masked = true
			case "file":
				v.file = true
			case "export":
			default:
				ok = false
			}
			if !ok {
				break
			}
			line = strings.TrimLeft(rest, " \t")
		}
		key, value, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || !script.ValidName(key) {
			return nil, fmt.Errorf("%s:%d:1: %q is not [masked] [file] NAME=VALUE (NAME is letters, digits and _)", name, lineNo, line)
		}
		val, err := unquote(strings.TrimSpace(value))
		if err != nil {
			return nil, fmt.Errorf("%s:%d:%d: %v", name, lineNo, len(key)+2, err)
		}
		v.name, v.value = key, val
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

func unquote(s string) (string, error) {
	if len(s) == 0 || (s[0] != '"' && s[0] != '\'') {
		return s, nil
	}
	q := s[0]
	if len(s) < 2 || s[len(s)-1] != q {
		return "", fmt.Errorf("unterminated %c-quoted value (hint: a value cannot span lines; write \\n in double quotes)", q)
	}
	body := s[1 : len(s)-1]
	if q == '\'' {
		return body, nil
	}
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '\\' || i+1 == len(body) {
			b.WriteByte(c)
			continue
		}
		i++
		switch body[i] {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		default:
			b.WriteByte(body[i])
		}
	}
	return b.String(), nil
}

// parseSecret reads a --secret K=V.
func parseSecret(kv string) (envVar, error) {
	name, value, ok := strings.Cut(kv, "=")
	if !ok || !script.ValidName(name) {
		return envVar{}, withCode(ExitInvalid, fmt.Errorf("--secret %q: want NAME=VALUE", kv))
	}
	return envVar{name: name, value: value, masked: true}, nil
}
