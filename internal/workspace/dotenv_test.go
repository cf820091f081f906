package workspace

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseDotenv(t *testing.T) {
	tests := []struct {
		name, input string
		want        []Variable
	}{
		{"basic", "BUILD_VERSION=Hello\nURL=https://x.test/a?b=c\n", []Variable{{"BUILD_VERSION", "Hello"}, {"URL", "https://x.test/a?b=c"}}},
		{"no final newline", "A=1", []Variable{{"A", "1"}}},
		{"blanks trimmed", "  A  =  spaced value  \n", []Variable{{"A", "spaced value"}}},
		{"quotes kept", `A="quoted"` + "\nB='single'\n", []Variable{{"A", `"quoted"`}, {"B", "'single'"}}},
		{"no expansion", "A=$HOME\n", []Variable{{"A", "$HOME"}}},
		{"empty value", "A=\n", []Variable{{"A", ""}}},
		{"later wins, first position kept", "A=1\nB=2\nA=3\n", []Variable{{"A", "3"}, {"B", "2"}}},
		{"crlf", "A=1\r\nB=2\r\n", []Variable{{"A", "1"}, {"B", "2"}}},
		{"bom", "\ufeffA=1\n", []Variable{{"A", "1"}}},
		{"utf-16le from powershell", string([]byte{0xFF, 0xFE, 'A', 0, '=', 0, '1', 0, '\n', 0}), []Variable{{"A", "1"}}},
		{"value with equals", "A=b=c\n", []Variable{{"A", "b=c"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDotenv(strings.NewReader(tt.input), "build.env", DefaultDotenvLimits)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("variables (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseDotenvErrors(t *testing.T) {
	tests := []struct {
		name, input, want string
	}{
		{"empty line", "A=1\n\nB=2\n", "build.env:2: \"\" is not KEY=VALUE"},
		{"comment", "# hello\nA=1\n", "build.env:1: \"# hello\" is not KEY=VALUE"},
		{"export", "export A=1\n", "build.env:1: variable name \"export A\": remove `export`"},
		{"bad key", "A-B=1\n", "use only letters, digits and _"},
		{"empty key", "=1\n", "build.env:1: empty variable name"},
		{"too big", "A=" + strings.Repeat("x", 5<<10) + "\n", "too big: it must be smaller than 5120 bytes"},
		{"too many", strings.Repeat("A=1\n", 1) + manyVars(151), "152 variables, at most 150"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDotenv(strings.NewReader(tt.input), "build.env", DefaultDotenvLimits)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func manyVars(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("V")
		b.WriteString(strings.Repeat("X", i%5))
		b.WriteString(string(rune('a' + i%26)))
		b.WriteString(strings.Repeat("_", i/26))
		b.WriteString("=1\n")
	}
	return b.String()
}

func FuzzParseDotenv(f *testing.F) {
	f.Add([]byte("A=1\nB=\"two\"\n"))
	f.Add([]byte("\ufeffexport A=1\r\n"))
	f.Add([]byte{0xFF, 0xFE, 'A', 0, '=', 0})
	f.Add([]byte("A=1\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		vars, err := ParseDotenv(bytes.NewReader(data), "fuzz.env", DefaultDotenvLimits)
		if err != nil {
			return
		}
		// What gantry stores must read back the same.
		again, err := ParseDotenv(bytes.NewReader(formatDotenv(vars)), "stored.env", DotenvLimits{MaxBytes: 1 << 20, MaxVariables: 1 << 20})
		if err != nil {
			t.Fatalf("stored form does not parse: %v", err)
		}
		if diff := cmp.Diff(vars, again); diff != "" && len(vars) > 0 {
			t.Errorf("round trip (-first +second):\n%s", diff)
		}
	})
}
