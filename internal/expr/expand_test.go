package expr

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExpand(t *testing.T) {
	vars := Map(map[string]string{
		"A":        "alpha",
		"B_2":      "beta",
		"_x9":      "under",
		"EMPTY":    "",
		"REF":      "$A",
		"A:-x":     "odd",
		"DOLLAR":   "$$",
		"SPACE IN": "sp",
	})
	tests := []struct{ name, in, want string }{
		{"plain", "no refs", "no refs"},
		{"bare", "$A", "alpha"},
		{"braced", "${A}", "alpha"},
		{"braced then text", "${A}bc", "alphabc"},
		{"bare swallows word chars", "$Abc", ""},
		{"digits and underscores", "$B_2-$_x9", "beta-under"},
		{"unknown is empty", "[$NOPE][${NOPE}]", "[][]"},
		{"empty value", "[$EMPTY]", "[]"},
		{"double dollar", "$$A", "$A"},
		{"double dollar braced", "$${A}", "${A}"},
		{"triple dollar", "$$$A", "$alpha"},
		{"lone dollar at end", "cost: 5$", "cost: 5$"},
		{"lone dollar", "$", "$"},
		{"dollar space", "$ A", "$ A"},
		{"dollar punctuation", "$/A", "$/A"},
		{"empty braces dropped", "a${}b", "ab"},
		{"unterminated brace dropped", "a${A", "aA"},
		{"brace takes anything", "${A:-x}", "odd"},
		{"brace with space", "${SPACE IN}", "sp"},
		{"shell specials are empty", "[$1][$*][$#][$@][$!][$?][$0]", "[][][][][][][]"},
		{"special then digits", "$12", "2"},
		{"braced special", "${1}", ""},
		{"dash is looked up", "$-", ""},
		{"no recursion", "$REF", "$A"},
		{"value with $$ not re-expanded", "$DOLLAR", "$$"},
		{"unicode around", "é$A€", "éalpha€"},
		{"percent untouched", "%A%", "%A%"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Expand(tt.in, vars); got != tt.want {
				t.Errorf("Expand(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	if got := Expand("$A$$", nil); got != "$" {
		t.Errorf("nil lookup: %q", got)
	}
}

func TestExpandGitLab(t *testing.T) {
	vars := Map(map[string]string{"A": "alpha", "B": "$A", "EMPTY": ""})
	tests := []struct {
		name, in, want, existing string
	}{
		{"bare", "$A/x", "alpha/x", "alpha/x"},
		{"braced", "${A}x", "alphax", "alphax"},
		{"windows", "%A%x", "alphax", "alphax"},
		{"unknown", "[$NOPE][${NOPE}][%NOPE%]", "[][][]", "[$NOPE][${NOPE}][%NOPE%]"},
		{"no escape", "$$A", "$alpha", "$alpha"},
		{"no recursion", "$B", "$A", "$A"},
		{"name starts with a letter", "$1A", "$1A", "$1A"},
		{"empty braces stay", "${}", "${}", "${}"},
		{"lone percent", "100%", "100%", "100%"},
		{"empty value", "[$EMPTY]", "[]", "[]"},
		{"plain", "plain", "plain", "plain"},
		{"two in a row", "$A$B", "alpha$A", "alpha$A"},
		{"digits and underscores", "$B_2|${B_2}", "|", "$B_2|${B_2}"},
		{"unterminated brace", "${A", "${A", "${A"},
		{"shell special is not a name", "$1", "$1", "$1"},
		{"lone dollar at end", "cost: 5$", "cost: 5$", "cost: 5$"},
		{"windows unterminated", "%A", "%A", "%A"},
		{"double percent", "%%A%", "%alpha", "%alpha"},
		{"path", "ci/$A.yml", "ci/alpha.yml", "ci/alpha.yml"},
		{"unknown in a path", "ci/$NOPE.yml", "ci/.yml", "ci/$NOPE.yml"},
		{"escape is the runner's, not GitLab's", "ci/$$A.yml", "ci/$alpha.yml", "ci/$alpha.yml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExpandGitLab(tt.in, vars); got != tt.want {
				t.Errorf("ExpandGitLab(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got := ExpandGitLabExisting(tt.in, vars); got != tt.existing {
				t.Errorf("ExpandGitLabExisting(%q) = %q, want %q", tt.in, got, tt.existing)
			}
		})
	}
}

func TestExpandGitLabNested(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		in   string
		want string
	}{
		{"plain value", map[string]string{"A": "x"}, "$A/*.py", "x/*.py"},
		{"unknown stays", nil, "$NOPE/${NOPE}/%NOPE%", "$NOPE/${NOPE}/%NOPE%"},
		{"nested", map[string]string{"DIR": "$ROOT/src", "ROOT": "app"}, "$DIR/**", "app/src/**"},
		{"deeply nested", map[string]string{"A": "${B}1", "B": "%C%2", "C": "3"}, "$A", "321"},
		{"unknown inside a value is empty", map[string]string{"A": "x$NOPE"}, "$A", "x"},
		{"escapes inside a value stay", map[string]string{"A": "$$B%%"}, "$A", "$$B%%"},
		{"empty braces inside a value stay", map[string]string{"A": "a${}b"}, "$A", "a${}b"},
		{"self reference is empty", map[string]string{"A": "x:$A"}, "$A", "x:"},
		{"cycle: values as written", map[string]string{"A": "$B", "B": "$A", "C": "$D", "D": "d"}, "$A|$C", "$B|$D"},
		{"cycle not reached is not seen", map[string]string{"A": "$B", "B": "$A", "C": "$D", "D": "d"}, "$C", "d"},
		{"no escape at the top", map[string]string{"A": "$B", "B": "b"}, "$$A", "$b"},
		{"shared dependency", map[string]string{"A": "$C", "B": "$C", "C": "c"}, "$A$B", "cc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExpandGitLabNested(tt.in, Map(tt.vars)); got != tt.want {
				t.Errorf("ExpandGitLabNested(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	if got := ExpandGitLabNested("$A", nil); got != "$A" {
		t.Errorf("nil lookup: %q", got)
	}
}

func TestExpandAll(t *testing.T) {
	v := func(name, value string) Var { return Var{Name: name, Value: value} }
	raw := func(name, value string) Var { return Var{Name: name, Value: value, Raw: true} }
	tests := []struct {
		name string
		in   []Var
		want []Var
	}{
		{"empty", nil, []Var{}},
		{"no references", []Var{v("A", "1"), v("B", "2")}, []Var{v("A", "1"), v("B", "2")}},
		{"reference to earlier", []Var{v("A", "x"), v("B", "$A-${A}")}, []Var{v("A", "x"), v("B", "x-x")}},
		{"reference to later", []Var{v("B", "[$A]"), v("A", "x")}, []Var{v("B", "[x]"), v("A", "x")}},
		{"chain of any depth", []Var{v("D", "$C"), v("C", "$B"), v("B", "$A"), v("A", "end")},
			[]Var{v("D", "end"), v("C", "end"), v("B", "end"), v("A", "end")}},
		{"later definition overrides, in place", []Var{v("A", "1"), v("B", "$A"), v("A", "2")},
			[]Var{v("A", "2"), v("B", "2")}},
		{"extend an earlier definition", []Var{v("P", "/bin"), v("P", "$P:/opt")}, []Var{v("P", "/bin:/opt")}},
		{"undefined is empty", []Var{v("A", "<$NOPE>")}, []Var{v("A", "<>")}},
		{"double dollar is a literal dollar", []Var{v("A", "x"), v("B", "$$A")}, []Var{v("A", "x"), v("B", "$A")}},
		{"escaped value referenced stays escaped once", []Var{v("A", "p$$q"), v("B", "$A")},
			[]Var{v("A", "p$q"), v("B", "p$q")}},
		{"raw is not expanded", []Var{v("A", "x"), raw("R", "$A $$")}, []Var{v("A", "x"), raw("R", "$A $$")}},
		{"reference to raw gets it unexpanded", []Var{v("A", "x"), raw("R", "raw-$A"), v("C", "$R")},
			[]Var{v("A", "x"), raw("R", "raw-$A"), v("C", "raw-$A")}},
		{"raw override wins", []Var{v("A", "$B"), raw("A", "$B"), v("B", "b")},
			[]Var{raw("A", "$B"), v("B", "b")}},
		{"windows form expanded by GitLab", []Var{v("A", "x"), v("B", "%A%")}, []Var{v("A", "x"), v("B", "x")}},
		{"lone dollar at end", []Var{v("A", "5$")}, []Var{v("A", "5$")}},
		{"empty braces", []Var{v("A", "a${}b")}, []Var{v("A", "ab")}},
		{"two-cycle: GitLab skips, runner expands once", []Var{v("A", "$B"), v("B", "$A")},
			[]Var{v("A", "$A"), v("B", "$B")}},
		{"three-cycle with a bystander", []Var{v("X", "x"), v("A", "$B$X"), v("B", "$C"), v("C", "$A")},
			[]Var{v("X", "x"), v("A", "$Cx"), v("B", "$A"), v("C", "$B$X")}},
		{"self reference without earlier definition", []Var{v("A", "$A:x")}, []Var{v("A", "$A:x:x")}},
		{"digits and underscores in names", []Var{v("V_1", "one"), v("W", "${V_1}_$V_1")},
			[]Var{v("V_1", "one"), v("W", "one_one")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ExpandAll(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ExpandAll mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckCycles(t *testing.T) {
	v := func(name, value string) Var { return Var{Name: name, Value: value} }
	tests := []struct {
		name    string
		in      []Var
		want    [][]string
		entries [][]int
		msg     string
	}{
		{name: "none", in: []Var{v("A", "$B"), v("B", "x")}},
		{name: "self reference is fine", in: []Var{v("A", "$A")}},
		{name: "two", in: []Var{v("A", "$B"), v("B", "${A}")}, want: [][]string{{"A", "B"}}, entries: [][]int{{0, 1}},
			msg: `circular variable reference detected: ["A", "B"]`},
		{name: "raw breaks the cycle", in: []Var{v("A", "$B"), {Name: "B", Value: "$A", Raw: true}}},
		{name: "through an override", in: []Var{v("A", "1"), v("B", "$A"), v("A", "$B")},
			want: [][]string{{"B", "A"}}, entries: [][]int{{1, 2}}, msg: `circular variable reference detected: ["B", "A"]`},
		{name: "two separate", in: []Var{v("A", "$B"), v("B", "$A"), v("C", "%D%"), v("D", "$C")},
			want: [][]string{{"A", "B"}, {"C", "D"}}, entries: [][]int{{0, 1}, {2, 3}},
			msg: `circular variable reference detected: ["A", "B"], ["C", "D"]`},
		{name: "three with a bystander", in: []Var{v("X", "$A"), v("A", "$B"), v("B", "$C"), v("C", "$A")},
			want: [][]string{{"A", "B", "C"}}, entries: [][]int{{1, 2, 3}}, msg: `circular variable reference detected: ["A", "B", "C"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckCycles(tt.in)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("CheckCycles = %v", err)
				}
				return
			}
			ce, ok := err.(*CycleError)
			if !ok {
				t.Fatalf("CheckCycles = %v, want *CycleError", err)
			}
			if diff := cmp.Diff(tt.want, ce.Cycles); diff != "" {
				t.Errorf("cycles (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.entries, ce.Entries); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
			if got := ce.Error(); got != tt.msg {
				t.Errorf("message %q, want %q", got, tt.msg)
			}
		})
	}
}
