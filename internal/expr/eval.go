package expr

import (
	"fmt"
	"strings"
)

// Lookup returns a variable's value and whether it is defined. An undefined
// variable is null, which differs from a variable set to "". The value of
// $[[ inputs.NAME ]] is looked up under the name "inputs.NAME".
type Lookup func(name string) (value string, ok bool)

// Map adapts a map to a Lookup.
func Map(m map[string]string) Lookup {
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}

// Eval evaluates e as GitLab's Statement#evaluate does and returns the
// resulting value: && and || return an operand, comparisons a boolean. A nil
// vars defines no variable. The only errors are operands GitLab cannot
// handle (see ErrOperand).
func (e *Expr) Eval(vars Lookup) (Value, error) {
	if vars == nil {
		vars = func(string) (string, bool) { return "", false }
	}
	return e.root.eval(vars)
}

// Truthy is GitLab's Statement#truthful?: the result must be present
// (neither null, false nor a blank string), and an evaluation error is
// false.
func (e *Expr) Truthy(vars Lookup) bool {
	v, err := e.Eval(vars)
	return err == nil && v.Present()
}

// Match parses src and reports whether it is truthy for vars. Unlike GitLab's
// truthful?, which turns syntax errors into false, it returns them, because
// GitLab rejects the pipeline file before evaluating such a rule.
func Match(src string, vars Lookup) (bool, error) {
	e, err := Parse(src)
	if err != nil {
		return false, err
	}
	return e.Truthy(vars), nil
}

func (n *node) eval(vars Lookup) (Value, error) {
	switch n.kind {
	case tVar:
		return lookup(vars, n.text), nil
	case tInput:
		return lookup(vars, "inputs."+n.text), nil
	case tString:
		return String(n.text), nil
	case tNull:
		return Null(), nil
	case tBool:
		return Bool(n.b), nil
	case tPattern:
		return patternValue(n.re), nil
	case tAnd, tOr:
		// Ruby's short circuit: the right side is not evaluated, so its
		// errors do not surface, when the left side decides.
		l, err := n.left.eval(vars)
		if err != nil || l.truthy() == (n.kind == tOr) {
			return l, err
		}
		return n.right.eval(vars)
	}
	l, err := n.left.eval(vars)
	if err != nil {
		return Value{}, err
	}
	r, err := n.right.eval(vars)
	if err != nil {
		return Value{}, err
	}
	switch n.kind {
	case tEquals, tNotEquals:
		eq, err := l.Equal(r)
		if err != nil {
			return Value{}, fmt.Errorf("%s %s %s: %w", l, opSymbols[n.kind], r, err)
		}
		return Bool(eq == (n.kind == tEquals)), nil
	case tMatches, tNotMatches:
		m, err := matches(l, r)
		if err != nil {
			return Value{}, fmt.Errorf("%s %s %s: %w", l, opSymbols[n.kind], r, err)
		}
		return Bool(m == (n.kind == tMatches)), nil
	}
	return Value{}, fmt.Errorf("unknown node kind %d", n.kind)
}

func lookup(vars Lookup, name string) Value {
	if v, ok := vars(name); ok {
		return String(v)
	}
	return Null()
}

// matches is GitLab's Matches#evaluate: a null or false right side never
// matches; a string right side shaped like /re/flags is compiled as a regexp
// (variables hold patterns that way); any other string right side is
// searched for the left text, as Ruby's String#scan does.
func matches(text, re Value) (bool, error) {
	switch re.kind {
	case KindNull:
		return false, nil
	case KindBool:
		if !re.b {
			return false, nil
		}
		return false, ErrOperand
	case KindPattern:
		return re.re.MatchString(text.text()), nil
	}
	if compiled, ok, err := compilePattern(re.str); ok && err == nil {
		return compiled.MatchString(text.text()), nil
	}
	return strings.Contains(re.str, text.text()), nil
}
