package gitlabci

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseMergeKeys(t *testing.T) {
	src := `
.base: &base
  stage: test
  script: [a]
job:
  <<: *base
  script: [b]
`
	n, err := ParseDocument("x.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	job := n.Get("job")
	if got := job.Get("stage").Value; got != "test" {
		t.Errorf("stage = %q", got)
	}
	if got := job.Get("script").Items[0].Value; got != "b" {
		t.Errorf("script = %q, explicit key must win over merge", got)
	}
	if p := job.Get("stage").Pos; p.Line != 3 || p.File != "x.yml" {
		t.Errorf("merged value keeps its own position, got %v", p)
	}
}

func TestParseBadInput(t *testing.T) {
	var laughs strings.Builder
	laughs.WriteString("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		laughs.WriteString(n + ": &" + n + " [*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + "]\n")
		prev = n
	}
	tests := []struct {
		name, src, want string
	}{
		{"billion laughs", laughs.String(), "expand to more than"},
		{"bad yaml", "a: [1, 2\nb: c", "x.yml:"},
		{"tab", "a:\n\tb: c\n", "x.yml:2"},
		{"binary", "a: \x00\x01\x02", "not text"},
		{"huge", "a: " + strings.Repeat("x", 50<<20), "limited to 2.0 MiB"},
		{"bad reference", "a: !reference x", "!reference must tag a list"},
		{"deep", strings.Repeat("[", 200) + strings.Repeat("]", 200), "nesting deeper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := ParseDocument("x.yml", []byte(tt.src))
			if err == nil {
				t.Fatalf("no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if d := time.Since(start); d > 5*time.Second { // a hang guard, generous for a loaded CI machine
				t.Errorf("took %v", d)
			}
		})
	}
}

// GitLab's YAML loader accepts a key written twice and keeps its last
// value; the anchor on the first value can still be merged elsewhere.
func TestParseDuplicateKeys(t *testing.T) {
	src := "variables: &first\n  FOO: \"1\"\njob:\n  script: [echo]\nvariables:\n  BAR: \"2\"\nother:\n  variables:\n    <<: *first\n"
	n, err := ParseDocument("x.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, p := range n.Pairs {
		keys = append(keys, p.Key)
	}
	tests := []struct{ name, got, want string }{
		{"keys in first-seen order", strings.Join(keys, ","), "variables,job,other"},
		{"last value wins", n.Get("variables").Get("BAR").Value, "2"},
		{"first value is gone", fmt.Sprint(n.Get("variables").Get("FOO")), "<nil>"},
		{"position of the last key", n.Lookup("variables").KeyPos.String(), "x.yml:5:1"},
		{"anchor of the first value", n.Get("other").Get("variables").Get("FOO").Value, "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestParseYAML11Booleans(t *testing.T) {
	n, err := ParseDocument("x.yml", []byte("a: yes\nb: Off\nc: 'yes'\nd: \"on\"\ne: y\n"))
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string][2]string{
		"a": {TagBool, "true"}, "b": {TagBool, "false"},
		"c": {TagStr, "yes"}, "d": {TagStr, "on"}, "e": {TagStr, "y"},
	} {
		if got := n.Get(key); got.Tag != want[0] || got.Value != want[1] {
			t.Errorf("%s: got %s %q, want %s %q", key, got.Tag, got.Value, want[0], want[1])
		}
	}
}

// A tag GitLab's loader does not know is ignored: the scalar resolves as
// if it were untagged. Core tags stay, and Render writes one the value
// does not imply, so that the merged YAML reads back the same.
func TestParseTags(t *testing.T) {
	src := "a: !foo 12\nb: !foo\nc: !foo 'x'\nd: !!float 1\ne: !!str 5\nf: !custom yes\n"
	n, err := ParseDocument("x.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string][2]string{
		"a": {TagInt, "12"}, "b": {TagNull, ""}, "c": {TagStr, "x"},
		"d": {TagFloat, "1"}, "e": {TagStr, "5"}, "f": {TagBool, "true"},
	} {
		if got := n.Get(key); got.Tag != want[0] || got.Value != want[1] {
			t.Errorf("%s: got %s %q, want %s %q", key, got.Tag, got.Value, want[0], want[1])
		}
	}
	var out bytes.Buffer
	if err := Render(&out, n); err != nil {
		t.Fatal(err)
	}
	want := "a: 12\nb: null\nc: x\nd: !!float \"1\"\ne: \"5\"\nf: true\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("render (-want +got):\n%s", diff)
	}
}
