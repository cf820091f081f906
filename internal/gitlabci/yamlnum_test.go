package gitlabci

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// psychCases are plain scalars with what Ruby 3.3's Psych makes of them and
// the string Ruby's to_s gives, which is what a GitLab variable holds.
// Read from psych/scalar_scanner.rb and Ruby's Integer#to_s / Float#to_s.
var psychCases = []struct {
	in   string
	kind rubyKind
	want string
}{
	// Floats: the shortest digits that read back, ".0" when integral.
	{"3.10", rubyFloat, "3.1"},
	{"1.0", rubyFloat, "1.0"},
	{"1.10", rubyFloat, "1.1"},
	{"0.10", rubyFloat, "0.1"},
	{"2.50", rubyFloat, "2.5"},
	{"10.0", rubyFloat, "10.0"},
	{"3.14159", rubyFloat, "3.14159"},
	{"0.30000000000000004", rubyFloat, "0.30000000000000004"},
	{".5", rubyFloat, "0.5"},
	{"-.5", rubyFloat, "-0.5"},
	{"+.5", rubyFloat, "0.5"},
	{"5.", rubyFloat, "5.0"},
	{"09.5", rubyFloat, "9.5"},
	{"-0.0", rubyFloat, "-0.0"},
	{"+0.0", rubyFloat, "0.0"},
	{"1_000.5", rubyFloat, "1000.5"},
	{"1,000.5", rubyFloat, "1000.5"},
	// YAML 1.1 exponents need a point and a sign.
	{"1.0e+3", rubyFloat, "1000.0"},
	{"1.e+5", rubyFloat, "100000.0"},
	{"1.5E-3", rubyFloat, "0.0015"},
	{"0.1e+1", rubyFloat, "1.0"},
	{"1e3", rubyString, "1e3"},
	{"1e+3", rubyString, "1e+3"},
	{"1.0e3", rubyString, "1.0e3"},
	// Float#to_s switches to e notation past 16 digits or 4 zeros.
	{"1000000000000000.0", rubyFloat, "1000000000000000.0"},
	{"10000000000000000.0", rubyFloat, "1.0e+16"},
	{"1.0e+16", rubyFloat, "1.0e+16"},
	{"123456789.123456789", rubyFloat, "123456789.12345679"},
	{"0.0001", rubyFloat, "0.0001"},
	{"0.00001", rubyFloat, "1.0e-05"},
	{"1.5e-05", rubyFloat, "1.5e-05"},
	{"1.7976931348623157e+308", rubyFloat, "1.7976931348623157e+308"},
	{"1.0e+400", rubyFloat, "Infinity"},
	{"1.0e-400", rubyFloat, "0.0"},
	{".inf", rubyFloat, "Infinity"},
	{"+.INF", rubyFloat, "Infinity"},
	{"-.Inf", rubyFloat, "-Infinity"},
	{".nan", rubyFloat, "NaN"},
	{".nAn", rubyFloat, "NaN"},
	// Integers: octal with a leading 0, hex, binary, separators, any size.
	{"100", rubyInt, "100"},
	{"0", rubyInt, "0"},
	{"-0", rubyInt, "0"},
	{"+1", rubyInt, "1"},
	{"010", rubyInt, "8"},
	{"0_7", rubyInt, "7"},
	{"0,1", rubyInt, "1"},
	{"0x1F", rubyInt, "31"},
	{"0x1f", rubyInt, "31"},
	{"-0x_1F", rubyInt, "-31"},
	{"0b101", rubyInt, "5"},
	{"-0b101", rubyInt, "-5"},
	{"1_000", rubyInt, "1000"},
	{"1,000", rubyInt, "1000"},
	{"9007199254740993", rubyInt, "9007199254740993"},
	{"123456789012345678901234567890", rubyInt, "123456789012345678901234567890"},
	{"1__0", rubyString, "1__0"},
	{"1_", rubyString, "1_"},
	{"08", rubyString, "08"},
	{"0o10", rubyString, "0o10"},
	{"0X1F", rubyString, "0X1F"},
	// Sexagesimal: two parts are hours and minutes.
	{"12:30", rubyInt, "45000"},
	{"1:02:03", rubyInt, "3723"},
	{"-1:30", rubyInt, "-1800"},
	{"1_0:30", rubyInt, "37800"},
	{"1:30.5", rubyFloat, "5430.0"},
	{"0:0:1.5", rubyFloat, "1.5"},
	{"1:60", rubyString, "1:60"},
	{"1:2:3:4", rubyString, "1:2:3:4"},
	// Dates and times are classes GitLab does not load.
	{"2024-01-01", rubyDate, "2024-01-01"},
	{"2024-02-30", rubyDate, "2024-02-30"},
	{"2024-13-01", rubyString, "2024-13-01"},
	{"2024-01-01T10:00:00Z", rubyTime, "2024-01-01T10:00:00Z"},
	{"2024-01-01 10:00:00", rubyTime, "2024-01-01 10:00:00"},
	// Numbers Psych matches and Ruby cannot read.
	{"0x_", rubyBad, "0x_"},
	{"0b,", rubyBad, "0b,"},
	{".e+1", rubyBad, ".e+1"},
	// Words.
	{"", rubyNull, ""},
	{"~", rubyNull, ""},
	{"NuLL", rubyNull, ""},
	{"yes", rubyBool, "true"},
	{"TrUe", rubyBool, "true"},
	{"Off", rubyBool, "false"},
	{"n\nno", rubyBool, "false"}, // Ruby's ^ and $ match at every line
	{"y", rubyString, "y"},
	{"nulls", rubyString, "nulls"},
	{":foo", rubySymbol, "foo"},
	{`:"a b"`, rubySymbol, "a b"},
	{`:"a"b"`, rubySymbol, `a"b`},
	{":", rubyString, ":"},
	{".", rubyString, "."},
	{"-.", rubyString, "-."},
	{"1.2.3", rubyString, "1.2.3"},
	{"3.10.1", rubyString, "3.10.1"},
	{"v3.10", rubyString, "v3.10"},
	{"_1", rubyString, "_1"},
	{"-inf", rubyString, "-inf"},
	{"python:3.10", rubyString, "python:3.10"},
}

func TestPsychScalar(t *testing.T) {
	for _, tt := range psychCases {
		t.Run(strings.ReplaceAll(tt.in, "\n", `\n`), func(t *testing.T) {
			got := psychScalar(tt.in)
			if got.kind != tt.kind || got.str != tt.want {
				t.Errorf("psychScalar(%q) = %v %q, want %v %q", tt.in, got.kind, got.str, tt.kind, tt.want)
			}
		})
	}
}

func TestRubyFloatString(t *testing.T) {
	tests := []struct {
		f    float64
		want string
	}{
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{3.1, "3.1"},
		{-2.5, "-2.5"},
		{1e15, "1000000000000000.0"},
		{9999999999999998, "9999999999999998.0"},
		{1e16, "1.0e+16"},
		{1.5e16, "1.5e+16"},
		{1e100, "1.0e+100"},
		{0.001, "0.001"},
		{0.0001, "0.0001"},
		{0.00001, "1.0e-05"},
		{1.25e-7, "1.25e-07"},
		{5e-324, "5.0e-324"},
		{math.MaxFloat64, "1.7976931348623157e+308"},
		{math.Inf(1), "Infinity"},
		{math.Inf(-1), "-Infinity"},
		{math.NaN(), "NaN"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := rubyFloatString(tt.f); got != tt.want {
				t.Errorf("rubyFloatString(%v) = %q, want %q", tt.f, got, tt.want)
			}
		})
	}
}

// FuzzPsychScalar checks the table's outputs and, for any input, that the
// reading does not panic and keeps its promises: a number's string reads
// back as the same number (Ruby's to_s is YAML 1.1 for it, but for the
// words Infinity and NaN), and a string is the input unchanged.
func FuzzPsychScalar(f *testing.F) {
	for _, tt := range psychCases {
		f.Add(tt.in)
	}
	want := map[string]string{}
	for _, tt := range psychCases {
		want[tt.in] = tt.want
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := psychScalar(s)
		if w, ok := want[s]; ok && got.str != w {
			t.Fatalf("psychScalar(%q) = %q, want %q", s, got.str, w)
		}
		switch got.kind {
		case rubyString, rubyDate, rubyTime, rubyBad:
			if got.str != s {
				t.Fatalf("psychScalar(%q) changed a %v to %q", s, got.kind, got.str)
			}
		case rubyInt:
			if back := psychScalar(got.str); back.kind != rubyInt || back.str != got.str {
				t.Fatalf("%q -> %q reads back as %v %q", s, got.str, back.kind, back.str)
			}
		case rubyFloat:
			if strings.HasSuffix(got.str, "Infinity") || got.str == "NaN" {
				return // Ruby's words for these are strings to YAML
			}
			if back := psychScalar(got.str); back.kind != rubyFloat || back.str != got.str {
				t.Fatalf("%q -> %q reads back as %v %q", s, got.str, back.kind, back.str)
			}
		}
	})
}

// TestRenderAsGitLabLoaded: gantry config writes unquoted numbers as
// GitLab's full configuration view does, the values Psych loaded; quoted
// ones, and plain text GitLab reads as a string, stay strings.
func TestRenderAsGitLabLoaded(t *testing.T) {
	src := `variables:
  PYTHON_VERSION: 3.10
  QUOTED: "3.10"
  OCTAL: 010
  CLOCK: 12:30
  THOUSAND: 1,000
  NOT_EXP: 1e3
  LEADING_ZERO: 08
  INF: .inf
  BOOL: True
  IMAGE: python:3.10
  SYMBOL: :foo
`
	n, err := ParseDocument("r.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := `variables:
  PYTHON_VERSION: 3.1
  QUOTED: "3.10"
  OCTAL: 8
  CLOCK: 45000
  THOUSAND: 1000
  NOT_EXP: "1e3"
  LEADING_ZERO: "08"
  INF: .inf
  BOOL: true
  IMAGE: python:3.10
  SYMBOL: :foo
`
	if diff := cmp.Diff(want, render(t, n)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
