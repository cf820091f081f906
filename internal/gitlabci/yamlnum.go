package gitlabci

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// GitLab loads pipeline files with Ruby's Psych, a YAML 1.1 reader whose
// ScalarScanner types plain scalars differently from yaml.v3 (YAML 1.2):
// 12:30 is the integer 45000, 1,000 is 1000, 08 and 1e3 are strings, 0o10
// is a string, 2024-01-01 is a Date. A variable then becomes its Ruby
// to_s: 3.10 is the Float 3.1 and reaches the job as "3.1". This file is
// that reading and that printing, so that gantry sets the value GitLab
// sets and lint can tell the user where the two texts differ.

// rubyKind is the Ruby class Psych gives a plain scalar.
type rubyKind int

const (
	rubyString rubyKind = iota
	rubyNull
	rubyBool
	rubyInt
	rubyFloat
	rubySymbol
	// rubyDate and rubyTime are classes GitLab's safe_load does not
	// permit: the whole file is refused ("Tried to load unspecified
	// class: Date").
	rubyDate
	rubyTime
	// rubyBad is a scalar Psych takes for a number and Ruby then cannot
	// read (0x_, .e+1): GitLab refuses the file ("Invalid YAML syntax").
	rubyBad
)

func (k rubyKind) String() string {
	switch k {
	case rubyNull:
		return "null"
	case rubyBool:
		return "boolean"
	case rubyInt, rubyFloat:
		return "number"
	case rubySymbol:
		return "symbol"
	case rubyDate:
		return "date"
	case rubyTime:
		return "time"
	case rubyBad:
		return "malformed number"
	}
	return "string"
}

// rubyValue is a plain scalar as GitLab holds it: its class and its to_s.
type rubyValue struct {
	kind rubyKind
	str  string
}

// Psych's patterns (psych/scalar_scanner.rb, Ruby 3.3). Ruby's ^ and $
// are line anchors: (?m) keeps that for multi-line scalars.
type psychPatterns struct {
	word     *regexp.Regexp
	notBool  *regexp.Regexp
	null     *regexp.Regexp
	yes      *regexp.Regexp
	no       *regexp.Regexp
	time     *regexp.Regexp
	date     *regexp.Regexp
	inf      *regexp.Regexp
	negInf   *regexp.Regexp
	nan      *regexp.Regexp
	sexInt   *regexp.Regexp
	sexFloat *regexp.Regexp
	float    *regexp.Regexp
	dotOnly  *regexp.Regexp
	dotExp   *regexp.Regexp
	integer  *regexp.Regexp
}

// psychRE compiles the patterns on first use: every gantry command would
// otherwise pay for them at start, most without reading a pipeline.
var psychRE = sync.OnceValue(func() *psychPatterns {
	return &psychPatterns{
		word:     regexp.MustCompile(`(?m)^[^\d.:-]?[\p{L}\p{Nl}_ \t\r\n\f\v!@#$%^&*(){}<>|/\\~;=]+`),
		notBool:  regexp.MustCompile(`(?im)^[^ytonf~]`),
		null:     regexp.MustCompile(`(?im)^null$`),
		yes:      regexp.MustCompile(`(?im)^(yes|true|on)$`),
		no:       regexp.MustCompile(`(?im)^(no|false|off)$`),
		time:     regexp.MustCompile(`^-?\d{4}-\d{1,2}-\d{1,2}(?:[Tt]|[ \t\r\n\f\v]+)\d{1,2}:\d\d:\d\d(?:\.\d*)?(?:[ \t\r\n\f\v]*(?:Z|[-+]\d{1,2}:?(?:\d\d)?))?$`),
		date:     regexp.MustCompile(`^\d{4}-(?:1[012]|0\d|\d)-(?:[12]\d|3[01]|0\d|\d)$`),
		inf:      regexp.MustCompile(`(?i)^\+?\.inf$`),
		negInf:   regexp.MustCompile(`(?i)^-\.inf$`),
		nan:      regexp.MustCompile(`(?i)^\.nan$`),
		sexInt:   regexp.MustCompile(`^[-+]?[0-9][0-9_]*(:[0-5]?[0-9]){1,2}$`),
		sexFloat: regexp.MustCompile(`^[-+]?[0-9][0-9_]*(:[0-5]?[0-9]){1,2}\.[0-9_]*$`),
		float:    regexp.MustCompile(`^[-+]?([0-9][0-9_,]*)?\.[0-9]*([eE][-+][0-9]+)?$`),
		dotOnly:  regexp.MustCompile(`^[-+]?\.$`),
		dotExp:   regexp.MustCompile(`\.([Ee]|$)`),
		integer:  regexp.MustCompile(`^(?:[-+]?0b[0-1_,]+|[-+]?0[0-7_,]+|[-+]?(?:0|[1-9](?:[0-9]|,[0-9]|_[0-9])*)|[-+]?0x[0-9a-fA-F_,]+)$`),
	}
})

// psychScalar is what GitLab makes of the plain (unquoted, untagged)
// scalar s: Psych's ScalarScanner#tokenize followed by Ruby's to_s.
func psychScalar(s string) rubyValue {
	re := psychRE()
	if s == "" {
		return rubyValue{kind: rubyNull}
	}
	if strings.Contains(s, "\n") || re.word.MatchString(s) {
		// Words: only short ones can be null or a boolean.
		switch {
		case utf8.RuneCountInString(s) > 5, re.notBool.MatchString(s):
		case s == "~" || re.null.MatchString(s):
			return rubyValue{kind: rubyNull}
		case re.yes.MatchString(s):
			return rubyValue{kind: rubyBool, str: "true"}
		case re.no.MatchString(s):
			return rubyValue{kind: rubyBool, str: "false"}
		}
		return rubyValue{kind: rubyString, str: s}
	}
	switch {
	case re.time.MatchString(s):
		return rubyValue{kind: rubyTime, str: s}
	case re.date.MatchString(s):
		return rubyValue{kind: rubyDate, str: s}
	case re.inf.MatchString(s):
		return rubyValue{kind: rubyFloat, str: "Infinity"}
	case re.negInf.MatchString(s):
		return rubyValue{kind: rubyFloat, str: "-Infinity"}
	case re.nan.MatchString(s):
		return rubyValue{kind: rubyFloat, str: "NaN"}
	case len(s) > 1 && s[0] == ':':
		return rubyValue{kind: rubySymbol, str: symbolName(s)}
	case re.sexInt.MatchString(s):
		return rubyValue{kind: rubyInt, str: sexagesimalInt(s)}
	case re.sexFloat.MatchString(s):
		return rubyValue{kind: rubyFloat, str: rubyFloatString(sexagesimalFloat(s))}
	case re.float.MatchString(s):
		if re.dotOnly.MatchString(s) {
			return rubyValue{kind: rubyString, str: s}
		}
		t := re.dotExp.ReplaceAllString(deleteSeparators(s), "$1")
		f, err := strconv.ParseFloat(t, 64)
		if err != nil && !isRangeErr(err) {
			return rubyValue{kind: rubyBad, str: s}
		}
		// Out of range, Ruby's Float() warns and returns ±Infinity or
		// 0.0, as ParseFloat does.
		return rubyValue{kind: rubyFloat, str: rubyFloatString(f)}
	case re.integer.MatchString(s):
		i, ok := new(big.Int).SetString(deleteSeparators(s), 0)
		if !ok {
			return rubyValue{kind: rubyBad, str: s}
		}
		return rubyValue{kind: rubyInt, str: i.String()}
	}
	return rubyValue{kind: rubyString, str: s}
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// deleteSeparators is Ruby's s.delete(',_').
func deleteSeparators(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ',' || r == '_' {
			return -1
		}
		return r
	}, s)
}

// symbolName is the name of the Symbol :name (or :"name"), which is what
// GitLab's to_s gives.
func symbolName(s string) string {
	if q := s[1]; len(s) > 2 && (q == '"' || q == '\'') {
		// /^:(["'])(.*)\1/ is greedy: up to the last matching quote.
		if end := strings.LastIndexByte(s, q); end > 1 {
			return strings.TrimPrefix(s[2:end], ":")
		}
	}
	return s[1:]
}

// sexagesimalInt is Psych's base 60 integer: the parts of h:m or h:m:s
// weigh 60², 60 and 1 (so 12:30 is 45000: Psych reads two parts as hours
// and minutes), each read with Ruby's String#to_i.
func sexagesimalInt(s string) string {
	parts := strings.Split(s, ":")
	sum := new(big.Int)
	for e, p := range parts {
		w := new(big.Int).Exp(big.NewInt(60), big.NewInt(int64(abs(e-2))), nil)
		sum.Add(sum, w.Mul(w, rubyToI(p)))
	}
	return sum.String()
}

// sexagesimalFloat is the same with String#to_f and Float arithmetic.
func sexagesimalFloat(s string) float64 {
	parts := strings.Split(s, ":")
	var sum float64
	for e, p := range parts {
		sum += rubyToF(p) * math.Pow(60, float64(abs(e-2)))
	}
	return sum
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// rubyDigits scans the leading digits of s the way String#to_i and #to_f
// do: an underscore counts only between two digits.
func rubyDigits(s string) (digits string, rest string) {
	var b strings.Builder
	i := 0
	for i < len(s) {
		c := s[i]
		if c >= '0' && c <= '9' {
			b.WriteByte(c)
			i++
			continue
		}
		if c == '_' && b.Len() > 0 && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
			i++
			continue
		}
		break
	}
	return b.String(), s[i:]
}

// rubyToI is String#to_i (base 10, leading sign, stops at the first
// character it cannot take).
func rubyToI(s string) *big.Int {
	sign, rest := "", s
	if rest != "" && (rest[0] == '-' || rest[0] == '+') {
		sign, rest = rest[:1], rest[1:]
	}
	d, _ := rubyDigits(rest)
	i, ok := new(big.Int).SetString(sign+d, 10)
	if !ok {
		return new(big.Int)
	}
	return i
}

// rubyToF is String#to_f for the decimal forms the sexagesimal pattern
// lets through (digits, underscores, one point).
func rubyToF(s string) float64 {
	sign, rest := "", s
	if rest != "" && (rest[0] == '-' || rest[0] == '+') {
		sign, rest = rest[:1], rest[1:]
	}
	ip, rest := rubyDigits(rest)
	num := sign + ip
	if len(rest) > 1 && rest[0] == '.' {
		if fp, _ := rubyDigits(rest[1:]); fp != "" {
			num += "." + fp
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil && !isRangeErr(err) {
		return 0
	}
	return f
}

// rubyFloatString is Ruby's Float#to_s: the shortest digits that read
// back as f, in fixed notation with at least one decimal when the point
// falls within 16 digits left or 4 digits right of them (3.1, 1000.0,
// 0.0001), else in e notation with a two-digit exponent (1.0e+16,
// 1.0e-05).
func rubyFloatString(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	sign := ""
	if math.Signbit(f) {
		sign = "-"
	}
	if f == 0 {
		return sign + "0.0"
	}
	e := strconv.FormatFloat(math.Abs(f), 'e', -1, 64)
	mant, exp, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	x, err := strconv.Atoi(exp)
	if err != nil {
		return sign + e // FormatFloat always writes an integer exponent
	}
	decpt := x + 1 // digits are 0.DIGITS × 10^decpt
	switch {
	case decpt > 0 && decpt <= 16:
		if len(digits) <= decpt {
			return sign + digits + strings.Repeat("0", decpt-len(digits)) + ".0"
		}
		return sign + digits[:decpt] + "." + digits[decpt:]
	case decpt <= 0 && decpt > -4:
		return sign + "0." + strings.Repeat("0", -decpt) + digits
	}
	frac := digits[1:]
	if frac == "" {
		frac = "0"
	}
	return fmt.Sprintf("%s%s.%se%+03d", sign, digits[:1], frac, decpt-1)
}

// renderPlain writes the plain scalar s as GitLab's merged view (a Psych
// dump of what it loaded) does: numbers in Ruby's spelling, strings that
// YAML would read as something else quoted.
func renderPlain(s string) string {
	rv := psychScalar(s)
	switch rv.kind {
	case rubyInt, rubyBool:
		return rv.str
	case rubyFloat:
		switch rv.str {
		case "Infinity":
			return ".inf"
		case "-Infinity":
			return "-.inf"
		case "NaN":
			return ".nan"
		}
		return rv.str
	case rubyNull:
		return "null"
	case rubyString:
		return quoteIfNeeded(s)
	}
	// Symbols, and what GitLab refuses to load (dates, malformed
	// numbers), as written.
	return s
}
