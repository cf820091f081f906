package pipeline

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"90s", 90 * time.Second},
		{"90", 90 * time.Second},
		{"1h 30m", 90 * time.Minute},
		{"1h30m", 90 * time.Minute},
		{"2h20min", 140 * time.Minute},
		{"3 hours", 3 * time.Hour},
		{"1 hour", time.Hour},
		{"10 minutes 30 seconds", 10*time.Minute + 30*time.Second},
		{"10 mins, 5 secs", 10*time.Minute + 5*time.Second},
		{"1.5 hours", 90 * time.Minute},
		{"1 week", 7 * 24 * time.Hour},
		{"3 weeks and 2 days", 23 * 24 * time.Hour},
		{"2 days 4 hrs", 52 * time.Hour},
		{"1 day", 24 * time.Hour},
		{"6 mos 1 day", 181 * 24 * time.Hour},
		{"1 month", 30 * 24 * time.Hour},
		{"1 yr", time.Duration(365.25 * 24 * float64(time.Hour))},
		{"01:30:00", 90 * time.Minute},
		{"1:30", 90 * time.Second},
		{"  3 Hours  ", 3 * time.Hour},
		{"1 HOUR 1 MIN", 61 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			if err != nil {
				t.Fatalf("ParseDuration(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseDuration(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseDurationInvalid(t *testing.T) {
	for _, in := range []string{"", "soon", "1 fortnight", "h", "hours 3", "1h-30m", "1:2:3:4", "a:b", "and", "1..2h", "never"} {
		t.Run(in, func(t *testing.T) {
			if d, err := ParseDuration(in); err == nil {
				t.Errorf("ParseDuration(%q) = %v, want an error", in, d)
			}
		})
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"1h 30m", "3 weeks and 2 days", "01:30:00", "1.5 hours", "90"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err == nil && d < 0 {
			t.Fatalf("ParseDuration(%q) = %v", s, d)
		}
	})
}

// start_in values, as the planner once tested them on its own parser.
func TestParseDurationStartIn(t *testing.T) {
	for in, want := range map[string]time.Duration{"30": 30 * time.Second, "1 hour and 30 mins": 90 * time.Minute, "1h30m": 90 * time.Minute, "1.5 days": 36 * time.Hour, "1 week, 1 day": 8 * 24 * time.Hour, "2 HOURS": 2 * time.Hour} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("%q = %v %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "soon", "5 fortnights", "1..2 s", "-5 minutes"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
