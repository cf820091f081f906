package cli

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseGCLDotenv(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		want    []gclEntry
		wantBad []int
	}{
		{"plain", "FILE=doctor-strange.yml\n", []gclEntry{{"FILE", "doctor-strange.yml", 1, 6}}, nil},
		{"blanks and comments", "\n# a comment\n  NEEDS = true  \n", []gclEntry{{"NEEDS", "true", 3, 11}}, nil},
		{"export", "export FILE=x.yml", []gclEntry{{"FILE", "x.yml", 1, 13}}, nil},
		{"a key named export", "export=1", []gclEntry{{"export", "1", 1, 8}}, nil},
		{"colon", "FILE: x.yml", []gclEntry{{"FILE", "x.yml", 1, 7}}, nil},
		{"inline comment", "FILE=x.yml # the other one", []gclEntry{{"FILE", "x.yml", 1, 6}}, nil},
		{"hash without blank", "FILE=a#b", []gclEntry{{"FILE", "a", 1, 6}}, nil},
		{"double quotes", `VARIABLE="DOCKER_TLS_CERTDIR=/certs"`, []gclEntry{{"VARIABLE", "DOCKER_TLS_CERTDIR=/certs", 1, 10}}, nil},
		{"double quotes keep # and expand \\n", `V="a # b\nc"`, []gclEntry{{"V", "a # b\nc", 1, 3}}, nil},
		{"single quotes are literal", `V='a\nb' # c`, []gclEntry{{"V", `a\nb`, 1, 3}}, nil},
		{"backticks", "V=`it's \"x\"`", []gclEntry{{"V", `it's "x"`, 1, 3}}, nil},
		{"escaped quote", `V="a\"b"`, []gclEntry{{"V", `a\"b`, 1, 3}}, nil},
		{"multi-line", "V=\"one\ntwo\"\nW=3", []gclEntry{{"V", "one\ntwo", 1, 3}, {"W", "3", 3, 3}}, nil},
		{"unclosed quote is unquoted", "V=\"one\nW=3", []gclEntry{{"V", `"one`, 1, 3}, {"W", "3", 2, 3}}, nil},
		{"text after the quote", `V="a" b`, []gclEntry{{"V", `"a" b`, 1, 3}}, nil},
		{"empty", "V=\nW=''", []gclEntry{{"V", "", 1, 3}, {"W", "", 2, 3}}, nil},
		{"later wins in place", "A=1\nB=2\nA=3", []gclEntry{{"A", "3", 3, 3}, {"B", "2", 2, 3}}, nil},
		{"crlf", "A=1\r\nB=2\r\n", []gclEntry{{"A", "1", 1, 3}, {"B", "2", 2, 3}}, nil},
		{"byte order mark", "\uFEFFFILE=x.yml", []gclEntry{{"FILE", "x.yml", 1, 6}}, nil},
		{"kebab and dotted keys", "only-needs=true\na.b=c", []gclEntry{{"only-needs", "true", 1, 12}, {"a.b", "c", 2, 5}}, nil},
		{"bad lines", "just words\n=x\nA:x\nB=1", []gclEntry{{"B", "1", 4, 3}}, []int{1, 2, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, bad := parseGCLDotenv(tt.text)
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(gclEntry{})); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantBad, bad); diff != "" {
				t.Errorf("bad lines (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzParseGCLDotenv checks that any file parses without panic into
// entries with distinct valid names at lines and columns of the file.
func FuzzParseGCLDotenv(f *testing.F) {
	for _, seed := range []string{
		"FILE=doctor-strange.yml\n",
		"export NEEDS=true # c\nVARIABLE=\"A=1 B=2\"\n",
		"V=\"one\ntwo\"\nW='x'\nX=`y`\n",
		"V=\"unclosed\nA: b\n\r\n#x\n=\n",
		"A=\"\\\"\" \\\nB='\\'",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		entries, bad := parseGCLDotenv(text)
		lines := strings.Count(strings.ReplaceAll(text, "\r\n", "\n"), "\n") + strings.Count(strings.ReplaceAll(text, "\r\n", ""), "\r") + 1
		seen := map[string]bool{}
		for _, e := range entries {
			if e.key == "" || dotenvKeyLen(e.key) != len(e.key) {
				t.Fatalf("bad name %q", e.key)
			}
			if seen[e.key] {
				t.Fatalf("name %q twice", e.key)
			}
			seen[e.key] = true
			if e.line < 1 || e.line > lines || e.col < 1 {
				t.Fatalf("%q at %d:%d, the file has %d lines", e.key, e.line, e.col, lines)
			}
		}
		for i, b := range bad {
			if b < 1 || b > lines || i > 0 && b <= bad[i-1] {
				t.Fatalf("bad lines %v out of order or range (%d lines)", bad, lines)
			}
		}
	})
}
