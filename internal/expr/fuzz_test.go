package expr

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that Source() of anything parsed
// parses back to the same tree, and that evaluation terminates without
// panicking under a lookup that defines every variable.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"cases.json", "parse_trees.json", "pattern_cases.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", "gitlab", name))
		if err != nil {
			f.Fatal(err)
		}
		var rows []struct {
			Expr  string `json:"expr"`
			Input string `json:"input"`
		}
		if err := json.Unmarshal(data, &rows); err != nil {
			f.Fatal(err)
		}
		for _, r := range rows {
			f.Add(r.Expr + r.Input)
		}
	}
	f.Add(`$[[ inputs.x ]] == true || ${A}`)
	f.Add(`'a"b' =~ /x\/y/imsU && (null != false)`)

	vars := func(name string) (string, bool) {
		switch name {
		case "EMPTY":
			return "", true
		case "NULL":
			return "", false
		}
		return "/" + name + "/i", true // every value is also a pattern
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Parse(src)
		if err != nil {
			if _, ok := err.(*SyntaxError); !ok {
				t.Fatalf("Parse(%q) error %T, want *SyntaxError", src, err)
			}
			return
		}
		_, _ = e.Eval(vars) // operand errors are expected here; only panics matter
		e.Truthy(nil)
		canon := e.Source()
		if len(canon) > MaxLen {
			return // canonical spacing can grow a compact expression past the limit
		}
		back, err := Parse(canon)
		if err != nil {
			t.Fatalf("Parse(%q) ok but its Source() %q fails: %v", src, canon, err)
		}
		if back.String() != e.String() {
			t.Fatalf("round trip of %q: %s != %s", src, back, e)
		}
	})
}

// FuzzExpand checks that expansion never panics, leaves text without $
// alone, and that ExpandAll terminates on any reference graph, cycles
// included, with one entry per name.
func FuzzExpand(f *testing.F) {
	for _, s := range []string{"$A", "${A}", "$$A", "a${}b", "${A", "$", "%A%", "$A$B", "${A:-x}", "$1x"} {
		f.Add(s, "$B", "$A")
	}
	f.Fuzz(func(t *testing.T, a, b, c string) {
		vars := Map(map[string]string{"A": a, "B": b, "C": c})
		for _, s := range []string{a, b, c} {
			got := Expand(s, vars)
			if !strings.Contains(s, "$") && got != s {
				t.Fatalf("Expand(%q) = %q without any $", s, got)
			}
			ExpandGitLab(s, vars)
			ExpandGitLabNested(s, vars)
		}
		list := []Var{{Name: "A", Value: a}, {Name: "B", Value: b}, {Name: "C", Value: c}, {Name: "A", Value: b + c}}
		out := ExpandAll(list)
		if len(out) != 3 {
			t.Fatalf("ExpandAll returned %d entries, want 3", len(out))
		}
		_ = CheckCycles(list) // any answer is fine; it must return
	})
}
