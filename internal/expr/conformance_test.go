package expr

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// The files under testdata/gitlab are GitLab's own spec rows (see NOTICE.md).

type gitlabCase struct {
	ID       int               `json:"id"`
	Vars     map[string]string `json:"vars"`
	Inputs   map[string]string `json:"inputs"`
	Expr     string            `json:"expr"`
	Value    json.RawMessage   `json:"value"`
	Truthy   bool              `json:"truthy"`
	Error    bool              `json:"error"`
	Asserted string            `json:"asserted"`
	Source   string            `json:"source"`
	Note     string            `json:"note"`
}

func loadJSON(t *testing.T, name string, v any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "gitlab", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// caseLookup serves the case's variables, and its inputs under inputs.NAME.
func caseLookup(c gitlabCase) Lookup {
	m := map[string]string{}
	for k, v := range c.Vars {
		m[k] = v
	}
	for k, v := range c.Inputs {
		m["inputs."+k] = v
	}
	return Map(m)
}

// jsonValue renders v as the JSON the case files use for Ruby values.
func jsonValue(v Value) string {
	switch v.Kind() {
	case KindString:
		b, _ := json.Marshal(v.str) // marshalling a string cannot fail
		return string(b)
	case KindBool:
		return fmt.Sprint(v.b)
	case KindPattern:
		return "/" + v.str + "/"
	}
	return "null"
}

func compactJSON(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestGitLabStatementCases(t *testing.T) {
	var cases []gitlabCase
	loadJSON(t, "cases.json", &cases)
	if len(cases) != 126 {
		t.Fatalf("cases.json has %d cases, want 126", len(cases))
	}
	passed := 0
	for _, c := range cases {
		t.Run(fmt.Sprintf("%03d", c.ID), func(t *testing.T) {
			t.Logf("%s (%s)", c.Expr, c.Source)
			e, err := Parse(c.Expr)
			if c.Error {
				var se *SyntaxError
				if !errors.As(err, &se) {
					t.Fatalf("Parse(%q) = %v, %v; want a *SyntaxError", c.Expr, e, err)
				}
				if se.Col < 1 || se.Col > len([]rune(c.Expr))+1 {
					t.Errorf("column %d out of range: %v", se.Col, se)
				}
				if ok, err := Match(c.Expr, caseLookup(c)); ok || err == nil {
					t.Errorf("Match = %v, %v; want false and the syntax error", ok, err)
				}
				passed++
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", c.Expr, err)
			}
			v, err := e.Eval(caseLookup(c))
			if err != nil {
				t.Fatalf("Eval: %v", err)
			}
			if got, want := jsonValue(v), compactJSON(t, c.Value); got != want {
				t.Errorf("Eval = %s, want %s", got, want)
			}
			if got := e.Truthy(caseLookup(c)); got != c.Truthy {
				t.Errorf("Truthy = %v, want %v", got, c.Truthy)
			}
			if ok, err := Match(c.Expr, caseLookup(c)); err != nil || ok != c.Truthy {
				t.Errorf("Match = %v, %v; want %v", ok, err, c.Truthy)
			}
			if !t.Failed() {
				passed++
			}
		})
	}
	t.Logf("cases.json: %d/%d passed", passed, len(cases))
}

func TestGitLabParseTrees(t *testing.T) {
	var cases []struct {
		Expr, Tree, Source string
	}
	loadJSON(t, "parse_trees.json", &cases)
	passed := 0
	for i, c := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			e, err := Parse(c.Expr)
			if err != nil {
				t.Fatalf("Parse(%q): %v", c.Expr, err)
			}
			if got := e.String(); got != c.Tree {
				t.Fatalf("tree of %q (%s):\n got %s\nwant %s", c.Expr, c.Source, got, c.Tree)
			}
			back, err := Parse(e.Source())
			if err != nil {
				t.Fatalf("Parse(Source() = %q): %v", e.Source(), err)
			}
			if got := back.String(); got != c.Tree {
				t.Errorf("Source() %q parses to %s", e.Source(), got)
			}
			passed++
		})
	}
	t.Logf("parse_trees.json: %d/%d passed", passed, len(cases))
}

func TestGitLabPatternCases(t *testing.T) {
	var cases []struct {
		Op     string `json:"op"`
		Input  string `json:"input"`
		Result struct {
			Value  *string         `json:"value"`
			Error  string          `json:"error"`
			OK     bool            `json:"ok"`
			Regexp *string         `json:"regexp"`
			String *string         `json:"string"`
			Token  json.RawMessage `json:"token"`
		} `json:"result"`
		Source string `json:"source"`
	}
	loadJSON(t, "pattern_cases.json", &cases)
	passed := 0
	for i, c := range cases {
		t.Run(fmt.Sprintf("%d-%s", i, c.Op), func(t *testing.T) {
			t.Logf("%s %q (%s)", c.Op, c.Input, c.Source)
			res := c.Result
			lit := c.Input
			if c.Op == "scan" {
				n := scanPattern(c.Input)
				if string(res.Token) == "null" {
					if n != 0 {
						t.Fatalf("scanPattern = %d, want no token", n)
					}
					passed++
					return
				}
				if n == 0 {
					t.Fatal("scanPattern found no token")
				}
				lit = c.Input[:n]
			}
			re, ok, err := compilePattern(lit)
			switch {
			case res.Error != "":
				if ok && err == nil {
					t.Fatalf("compilePattern(%q) = %v; want an error", lit, re)
				}
			case res.String != nil:
				// Not shaped like /re/: the value stays a plain string.
				if ok {
					t.Fatalf("compilePattern(%q) took it as a regexp", lit)
				}
			case res.Value != nil:
				if !ok || err != nil {
					t.Fatalf("compilePattern(%q) = %v, %v", lit, ok, err)
				}
				if _, _, err := compilePattern(*res.Value); err != nil {
					t.Fatalf("unescaped value %q does not compile: %v", *res.Value, err)
				}
			case res.Regexp != nil:
				if !ok || err != nil {
					t.Fatalf("compilePattern(%q) = %v, %v", lit, ok, err)
				}
				if got := re.String(); got != *res.Regexp {
					t.Fatalf("regexp %q, want %q", got, *res.Regexp)
				}
			case res.OK:
				if !ok || err != nil {
					t.Fatalf("compilePattern(%q) = %v, %v", lit, ok, err)
				}
			default:
				t.Fatalf("unknown expectation %+v", res)
			}
			passed++
		})
	}
	t.Logf("pattern_cases.json: %d/%d passed", passed, len(cases))
}
