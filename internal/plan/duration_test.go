package plan

import (
	"strings"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/pipeline"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"30", 30 * time.Second},
		{"10 seconds", 10 * time.Second},
		{"5 minutes", 5 * time.Minute},
		{"1 hour and 30 mins", 90 * time.Minute},
		{"1h30m", 90 * time.Minute},
		{"1.5 days", 36 * time.Hour},
		{"1 week, 1 day", 8 * 24 * time.Hour},
		{"2 HOURS", 2 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "soon", "5 fortnights", "1..2 s", "-5 minutes"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) succeeded", bad)
		}
	}
}

func TestDelayed(t *testing.T) {
	p := pl(
		mk("job-level", "test", when(pipeline.WhenDelayed), func(j *pipeline.Job) { j.StartIn = "30 minutes" }),
		mk("from-rule", "test", rules(pipeline.Rule{When: pipeline.WhenDelayed, StartIn: "1 hour"})),
	)
	got := mustNew(t, p, branch("main"))
	if d := got.Job("job-level").StartIn; d != 30*time.Minute {
		t.Errorf("job-level StartIn = %v", d)
	}
	if d := got.Job("from-rule").StartIn; d != time.Hour {
		t.Errorf("from-rule StartIn = %v", d)
	}
	p = pl(mk("bad", "test", when(pipeline.WhenDelayed)))
	if _, err := New(p, branch("main")); err == nil || !strings.Contains(err.Error(), "start_in") {
		t.Errorf("err = %v, want a start_in error", err)
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"30", "1 hour and 30 mins", "1h30m", "1.5 days", "9999999999999 weeks", "1e9 s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err == nil && d < 0 {
			t.Fatalf("ParseDuration(%q) = %v, negative", s, d)
		}
	})
}

func FuzzRefPattern(f *testing.F) {
	for _, s := range []string{"main", "/^release-.*$/i", "branches@group/proj", "/(/", "//", "/a/U"} {
		f.Add(s, "release-1")
	}
	f.Fuzz(func(t *testing.T, pattern, ref string) {
		ev := newEvaluator(pl(), Trigger{Ref: ref})
		_ = ev.refsMatch([]string{pattern}, newScope(0)) // must not panic
	})
}
