package expr

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Expr is a parsed expression, safe for concurrent evaluation.
type Expr struct {
	root *node
}

// node is a value leaf or a binary operator; kind is the token kind it came
// from.
type node struct {
	kind tokKind
	// text is the variable or input name, the string's content or the
	// pattern literal as written.
	text        string
	b           bool
	re          *regexp.Regexp
	left, right *node
}

// Parse parses a rules:if or only/except:variables expression. Errors are
// *SyntaxError and cover everything GitLab rejects before evaluation: an
// unknown lexeme, an invalid regexp, unbalanced parentheses, a missing or
// extra operand, an empty statement and the size limits.
func Parse(src string) (*Expr, error) {
	if len(src) > MaxLen {
		return nil, &SyntaxError{Col: 1, Msg: fmt.Sprintf("expression is %d bytes long, over the %d-byte limit", len(src), MaxLen)}
	}
	if !utf8.ValidString(src) {
		return nil, &SyntaxError{Col: 1, Msg: "expression is not valid UTF-8"}
	}
	l := &lexer{src: src}
	toks, err := l.tokens()
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, &SyntaxError{Col: 1, Msg: "empty expression", Hint: `write a condition such as $CI_COMMIT_BRANCH == "main"`}
	}
	p := &parser{src: src, toks: toks}
	root, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.i < len(p.toks) {
		t := p.toks[p.i]
		if t.kind == tRParen {
			return nil, p.errorf(t.off, "remove it or add the matching (", "unmatched )")
		}
		return nil, p.errorf(t.off, "join conditions with &&, || or a comparison",
			"expected an operator, found %s", describe(t))
	}
	return &Expr{root: root}, nil
}

// parser is a recursive descent over GitLab's three precedence levels. For
// every well-formed expression it builds the tree GitLab's shunting-yard
// parser builds; GitLab's parser also accepts operators in postfix position
// ("$A $B =="), which is nonsense and rejected here.
type parser struct {
	src  string
	toks []token
	i    int
}

func (p *parser) errorf(off int, hint, format string, args ...any) *SyntaxError {
	return &SyntaxError{Col: column(p.src, off), Msg: fmt.Sprintf(format, args...), Hint: hint}
}

func (p *parser) peek() (token, bool) {
	if p.i < len(p.toks) {
		return p.toks[p.i], true
	}
	return token{}, false
}

// binary parses a left-associative chain of operators of one precedence,
// whose operands are parsed by sub.
func (p *parser) binary(prec int, sub func() (*node, error)) (*node, error) {
	left, err := sub()
	if err != nil {
		return nil, err
	}
	for {
		t, ok := p.peek()
		if !ok {
			return left, nil
		}
		if pr, isOp := t.kind.precedence(); !isOp || pr != prec {
			return left, nil
		}
		p.i++
		right, err := sub()
		if err != nil {
			return nil, err
		}
		left = &node{kind: t.kind, left: left, right: right}
	}
}

func (p *parser) or() (*node, error)  { return p.binary(12, p.and) }
func (p *parser) and() (*node, error) { return p.binary(11, p.cmp) }
func (p *parser) cmp() (*node, error) { return p.binary(10, p.operand) }

// operand parses a value or a parenthesised expression.
func (p *parser) operand() (*node, error) {
	t, ok := p.peek()
	if !ok {
		return nil, p.errorf(len(p.src), "", "unexpected end of expression, expected a value")
	}
	p.i++
	switch t.kind {
	case tVar:
		return &node{kind: tVar, text: t.text[1:]}, nil
	case tInput:
		return &node{kind: tInput, text: inputName(t.text)}, nil
	case tString:
		return &node{kind: tString, text: t.text[1 : len(t.text)-1]}, nil
	case tNull:
		return &node{kind: tNull}, nil
	case tBool:
		return &node{kind: tBool, b: t.text == "true"}, nil
	case tPattern:
		return &node{kind: tPattern, text: t.text, re: t.re}, nil
	case tLParen:
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		c, ok := p.peek()
		if !ok {
			return nil, p.errorf(t.off, "add a ) at the end", "unclosed (")
		}
		if c.kind != tRParen {
			return nil, p.errorf(c.off, "", "expected ) or an operator, found %s", describe(c))
		}
		p.i++
		return n, nil
	}
	return nil, p.errorf(t.off, "", "expected a value, found %s", describe(t))
}

// describe names a token for an error message.
func describe(t token) string {
	switch t.kind {
	case tVar, tInput:
		return "variable " + t.text
	case tString:
		return "string " + t.text
	case tPattern:
		return "regexp " + t.text
	case tNull, tBool:
		return t.text
	}
	return fmt.Sprintf("%q", t.text)
}

// opNames are GitLab's lexeme names, as its parse-tree inspect prints them.
var opNames = map[tokKind]string{
	tEquals: "equals", tNotEquals: "not_equals", tMatches: "matches",
	tNotMatches: "not_matches", tAnd: "and", tOr: "or",
}

// opSymbols are the operators as written in an expression.
var opSymbols = map[tokKind]string{
	tEquals: "==", tNotEquals: "!=", tMatches: "=~",
	tNotMatches: "!~", tAnd: "&&", tOr: "||",
}

// String prints the parse tree the way GitLab's parser specs inspect it,
// such as or($VAR1, and($VAR2, "x")). Strings are printed between the quote
// they need, without escapes, and regexps as written.
func (e *Expr) String() string {
	var b strings.Builder
	e.root.tree(&b)
	return b.String()
}

func (n *node) tree(b *strings.Builder) {
	if name, ok := opNames[n.kind]; ok {
		b.WriteString(name)
		b.WriteByte('(')
		n.left.tree(b)
		b.WriteString(", ")
		n.right.tree(b)
		b.WriteByte(')')
		return
	}
	n.leaf(b)
}

// leaf writes a value node as expression source.
func (n *node) leaf(b *strings.Builder) {
	switch n.kind {
	case tVar:
		b.WriteString("$" + n.text)
	case tInput:
		b.WriteString("$[[ inputs." + n.text + " ]]")
	case tString:
		q := `"`
		if strings.Contains(n.text, `"`) {
			q = `'`
		}
		b.WriteString(q + n.text + q)
	case tNull:
		b.WriteString("null")
	case tBool:
		fmt.Fprint(b, n.b)
	case tPattern:
		b.WriteString(n.text)
	}
}

// Source prints the expression as canonical source that parses back to the
// same tree: single spaces around operators and only the parentheses the
// tree needs.
func (e *Expr) Source() string {
	var b strings.Builder
	e.root.source(&b)
	return b.String()
}

func (n *node) source(b *strings.Builder) {
	prec, isOp := n.kind.precedence()
	if !isOp {
		n.leaf(b)
		return
	}
	// Operators are left-associative: a right operand of the same
	// precedence was grouped explicitly.
	if lp, ok := n.left.kind.precedence(); ok && lp > prec {
		b.WriteByte('(')
		n.left.source(b)
		b.WriteByte(')')
	} else {
		n.left.source(b)
	}
	b.WriteString(" " + opSymbols[n.kind] + " ")
	if rp, ok := n.right.kind.precedence(); ok && rp >= prec {
		b.WriteByte('(')
		n.right.source(b)
		b.WriteByte(')')
	} else {
		n.right.source(b)
	}
}
