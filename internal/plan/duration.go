package plan

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// durationUnits are the unit words start_in accepts, as GitLab's
// ChronicDuration reads them.
var durationUnits = map[string]time.Duration{
	"s": time.Second, "sec": time.Second, "secs": time.Second, "second": time.Second, "seconds": time.Second,
	"m": time.Minute, "min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hr": time.Hour, "hrs": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
	"w": 7 * 24 * time.Hour, "wk": 7 * 24 * time.Hour, "wks": 7 * 24 * time.Hour, "week": 7 * 24 * time.Hour, "weeks": 7 * 24 * time.Hour,
}

// ParseDuration reads a human duration as GitLab's start_in takes it:
// "30 seconds", "5 minutes", "1 hour and 30 mins", "1h30m", "1.5 days";
// a bare number is seconds.
func ParseDuration(s string) (time.Duration, error) {
	in := strings.ToLower(strings.TrimSpace(s))
	if in == "" {
		return 0, fmt.Errorf("empty duration")
	}
	var total time.Duration
	rest := in
	for {
		rest = strings.TrimLeft(rest, " \t,")
		rest = strings.TrimPrefix(rest, "and ")
		rest = strings.TrimLeft(rest, " \t")
		if rest == "" {
			break
		}
		n := strings.IndexFunc(rest, func(r rune) bool { return !unicode.IsDigit(r) && r != '.' })
		if n == 0 {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		if n < 0 {
			n = len(rest)
		}
		num, err := strconv.ParseFloat(rest[:n], 64)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		rest = strings.TrimLeft(rest[n:], " \t")
		u := strings.IndexFunc(rest, func(r rune) bool { return !unicode.IsLetter(r) })
		if u < 0 {
			u = len(rest)
		}
		unit := time.Second
		if u > 0 {
			var ok bool
			if unit, ok = durationUnits[rest[:u]]; !ok {
				return 0, fmt.Errorf("invalid duration %q: unknown unit %q", s, rest[:u])
			}
		}
		rest = rest[u:]
		d := num * float64(unit)
		if d > float64(1<<62) || total > time.Duration(1<<62) {
			return 0, fmt.Errorf("duration %q is too long", s)
		}
		total += time.Duration(d)
	}
	return total, nil
}
