package pipeline

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Durations are written the way GitLab reads them (its ChronicDuration
// parser): "1h 30m", "3 hours", "10 minutes 30 seconds", "90s", "2h20min",
// "1.5 hours", "1 week and 2 days", "01:30:00", or a bare number of seconds.

const (
	durDay   = 24 * time.Hour
	durWeek  = 7 * durDay
	durMonth = 30 * durDay
	durYear  = time.Duration(365.25 * float64(durDay))
)

var durationUnits = map[string]time.Duration{
	"s": time.Second, "sec": time.Second, "secs": time.Second, "second": time.Second, "seconds": time.Second,
	"m": time.Minute, "min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hr": time.Hour, "hrs": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"d": durDay, "day": durDay, "days": durDay,
	"w": durWeek, "wk": durWeek, "wks": durWeek, "week": durWeek, "weeks": durWeek,
	"mo": durMonth, "mos": durMonth, "month": durMonth, "months": durMonth,
	"y": durYear, "yr": durYear, "yrs": durYear, "year": durYear, "years": durYear,
}

var errDuration = errors.New(`not a duration (write e.g. "1h 30m", "45 minutes" or "90s")`)

// ParseDuration parses a duration as GitLab writes them (timeout:,
// start_in:, expire_in:).
func ParseDuration(s string) (time.Duration, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return 0, errDuration
	}
	if strings.Contains(s, ":") {
		return parseClock(s)
	}
	s = strings.ReplaceAll(s, ",", " ")
	lex, err := lexDuration(s)
	if err != nil {
		return 0, err
	}
	var total float64
	found := false
	for i := 0; i < len(lex); i++ {
		if lex[i] == "and" {
			continue
		}
		n, err := strconv.ParseFloat(lex[i], 64)
		if err != nil {
			return 0, errDuration
		}
		u := time.Second
		if i+1 < len(lex) && lex[i+1] != "and" && !isDurationNumber(lex[i+1]) {
			var ok bool
			if u, ok = durationUnits[lex[i+1]]; !ok {
				return 0, fmt.Errorf("unknown unit %q in duration", lex[i+1])
			}
			i++
		}
		total += n * float64(u)
		found = true
	}
	if !found {
		return 0, errDuration
	}
	if total > math.MaxInt64/2 {
		return 0, errors.New("duration is too long")
	}
	return time.Duration(total), nil
}

// parseClock parses [[hh:]mm:]ss.
func parseClock(s string) (time.Duration, error) {
	parts := strings.Split(s, ":")
	if len(parts) > 3 {
		return 0, errDuration
	}
	var total time.Duration
	for _, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 1_000_000 {
			return 0, errDuration
		}
		total = total*60 + time.Duration(n)*time.Second
	}
	return total, nil
}

// lexDuration splits "1h30m and 2 days" into numbers and words.
func lexDuration(s string) ([]string, error) {
	var out []string
	for i := 0; i < len(s); {
		c := s[i]
		j := i + 1
		switch {
		case c == ' ' || c == '\t':
			i++
			continue
		case c >= '0' && c <= '9' || c == '.':
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
				j++
			}
		case c >= 'a' && c <= 'z':
			for j < len(s) && s[j] >= 'a' && s[j] <= 'z' {
				j++
			}
		default:
			return nil, errDuration
		}
		out = append(out, s[i:j])
		i = j
	}
	return out, nil
}

func isDurationNumber(s string) bool { return s != "" && (s[0] >= '0' && s[0] <= '9' || s[0] == '.') }
