package gitlabci

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPosixEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "''"},
		{"plain-text_1.2,3:4+5/6@7", "plain-text_1.2,3:4+5/6@7"},
		{"a b", `a\ b`},
		{"it's", `it\'s`},
		{"$(rm -rf /)", `\$\(rm\ -rf\ /\)`},
		{"a\nb", "a'\n'b"},
		{"é", `\é`},
	}
	for _, tt := range tests {
		if got := posixEscape(tt.in); got != tt.want {
			t.Errorf("posixEscape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTruncateRunes(t *testing.T) {
	tests := []struct {
		in     string
		off, n int
		want   string
	}{
		{"0123456789", 1, 3, "123"},
		{"0123456789", 0, 100, "0123456789"},
		{"0123456789", 10, 2, ""},
		{"0123456789", 20, 2, ""},
		{"héllo", 1, 2, "él"},
	}
	for _, tt := range tests {
		if got := truncateRunes(tt.in, tt.off, tt.n); got != tt.want {
			t.Errorf("truncateRunes(%q, %d, %d) = %q, want %q", tt.in, tt.off, tt.n, got, tt.want)
		}
	}
}

// TestInterpolate checks whole-scalar blocks (the input's type is kept)
// and blocks inside strings (the value's text), on parsed nodes.
func TestInterpolate(t *testing.T) {
	src := `spec:
  inputs:
    s: {default: "a: b"}
    n: {type: number, default: 3}
    b: {type: boolean, default: false}
    list: {type: array, default: [x, {k: v}]}
---
job:
  str: $[[ inputs.s ]]
  num: $[[ inputs.n ]]
  bool: $[[ inputs.b ]]
  list: $[[ inputs.list ]]
  item: $[[ inputs.list[1].k ]]
  text: "$[[ inputs.s ]] / $[[ inputs.n ]] / $[[ inputs.list ]]"
  spaced: " $[[ inputs.n ]]"
`
	docs, err := ParseDocuments("t.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	body, err := applySpec("t.yml", docs, nil, docs[0].Pos, nil)
	if err != nil {
		t.Fatal(err)
	}
	job := body.Get("job")
	tests := []struct {
		key, tag, value string
		kind            Kind
	}{
		{"str", TagStr, "a: b", Scalar},
		{"num", TagInt, "3", Scalar},
		{"bool", TagBool, "false", Scalar},
		{"list", "!!seq", "", Seq},
		{"item", TagStr, "v", Scalar},
		{"text", TagStr, `a: b / 3 / ["x",{"k":"v"}]`, Scalar},
		{"spaced", TagStr, " 3", Scalar},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			n := job.Get(tt.key)
			got := struct {
				Kind       Kind
				Tag, Value string
			}{n.Kind, n.Tag, n.Value}
			want := struct {
				Kind       Kind
				Tag, Value string
			}{tt.kind, tt.tag, tt.value}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if n.Pos.Line == 0 || n.Pos.File != "t.yml" {
				t.Errorf("position %v, want the scalar's own", n.Pos)
			}
		})
	}
	// The interpolated value cannot change the structure: "a: b" stays a string.
	if got := render(t, job.Get("str")); got != "\"a: b\"\n" {
		t.Errorf("rendered %q", got)
	}
}

func TestGoInputs(t *testing.T) {
	got, err := goInputs(map[string]any{"s": "x", "n": 2, "f": 1.5, "whole": 2.0, "b": true, "l": []any{"a", 1}, "m": map[string]any{"k": nil}})
	if err != nil {
		t.Fatal(err)
	}
	tags := map[string]string{}
	for k, v := range got {
		tags[k] = v.Tag
	}
	want := map[string]string{"s": TagStr, "n": TagInt, "f": TagFloat, "whole": TagInt, "b": TagBool, "l": "!!seq", "m": "!!map"}
	if diff := cmp.Diff(want, tags); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := goInputs(map[string]any{"c": make(chan int)}); err == nil {
		t.Error("a channel input was accepted")
	}
}
