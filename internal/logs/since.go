package logs

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseSince reads a --since or --until value the way Docker does:
//
//   - a Go duration ("42m", "10s", "1h30m"), meaning now minus it;
//   - a Unix time in seconds, with an optional fraction ("1700000000.5");
//   - an RFC 3339 time or a shorter form of it ("2013-01-02T13:23:37Z",
//     "2013-01-02T13:23", "2013-01-02"); without a zone it is in now's zone.
//
// "" gives the zero time (no limit).
func ParseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	// "0" is the Unix epoch, not a zero duration, as in Docker.
	if s != "0" {
		if d, err := time.ParseDuration(s); err == nil {
			return now.Add(-d), nil
		}
	}

	// A value with a zone (Z, +hh:mm, or a -hh:mm making three dashes) is
	// parsed with it; any other in now's zone.
	hasZone := strings.ContainsAny(s, "zZ+") || strings.Count(s, "-") == 3
	var layout string
	switch {
	case strings.Contains(s, "."):
		layout = "2006-01-02T15:04:05.999999999"
	case strings.Contains(s, "T"):
		colons := strings.Count(s, ":")
		if hasZone && !strings.ContainsAny(s, "zZ") && colons > 0 {
			colons-- // the colon of the +hh:mm offset
		}
		switch colons {
		case 0:
			layout = "2006-01-02T15"
		case 1:
			layout = "2006-01-02T15:04"
		default:
			layout = "2006-01-02T15:04:05"
		}
	default:
		layout = "2006-01-02"
	}
	var t time.Time
	var err error
	if hasZone {
		t, err = time.Parse(layout+"Z07:00", s)
	} else {
		t, err = time.ParseInLocation(layout, s, now.Location())
	}
	if err == nil {
		return t, nil
	}
	if strings.Contains(s, "-") {
		return time.Time{}, err // meant as a date, and not one
	}
	if t, ok := parseUnix(s); ok {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("failed to parse value as time or duration: %q", s)
}

// parseUnix reads "seconds" or "seconds.fraction" (digits only; a fraction
// beyond nanoseconds is cut).
func parseUnix(s string) (time.Time, bool) {
	secs, frac, hasFrac := strings.Cut(s, ".")
	if !allDigits(secs) || (hasFrac && !allDigits(frac)) {
		return time.Time{}, false
	}
	sec, err := strconv.ParseInt(secs, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	var nsec int64
	if hasFrac {
		frac = (frac + "000000000")[:9]
		nsec, _ = strconv.ParseInt(frac, 10, 64) // nine digits always parse
	}
	return time.Unix(sec, nsec), true
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
