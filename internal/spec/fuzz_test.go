package spec

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// memoryGrammar is ParseMemory's documented grammar (go-units' RAMInBytes).
var memoryGrammar = regexp.MustCompile(`^[0-9]+(\.[0-9]+)? ?[kKmMgGtTpP]?[iI]?[bB]?$`)

// FuzzParseMemory checks, for any string: ParseMemory does not panic; it
// accepts exactly the strings of its grammar that are not too large; a
// size is never negative; a plain integer (small enough to be exact in a
// float64) is itself, with a unit it is multiplied by that unit; an error
// is one line that starts with Docker's "invalid size: '".
func FuzzParseMemory(f *testing.F) {
	for _, tc := range memoryGood {
		f.Add(tc.in)
	}
	for _, in := range memoryBad {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseMemory(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("ParseMemory(%q) error spans lines: %q", s, err)
			}
			if !strings.HasPrefix(err.Error(), "invalid size: '") {
				t.Errorf("ParseMemory(%q) error %q, want Docker's \"invalid size: '...'\"", s, err)
			}
			if memoryGrammar.MatchString(s) && !strings.Contains(err.Error(), "too large") {
				t.Errorf("ParseMemory(%q) refused a size of the grammar: %v", s, err)
			}
			return
		}
		if !memoryGrammar.MatchString(s) {
			t.Errorf("ParseMemory(%q) = %d, but it is not in the grammar", s, n)
		}
		if n < 0 {
			t.Errorf("ParseMemory(%q) = %d, a negative size", s, n)
		}
		// A whole number of bytes: the size is exact.
		num := strings.TrimRight(s, " kKmMgGtTpPiIbB")
		v, err := strconv.ParseInt(num, 10, 64)
		if err != nil || v >= 1<<53 {
			return
		}
		mult := int64(1)
		if unit := strings.TrimPrefix(s[len(num):], " "); unit != "" {
			if u, ok := memoryUnits[unicode.ToLower(rune(unit[0]))]; ok {
				mult = int64(u)
			}
		}
		if v > math.MaxInt64/mult {
			t.Errorf("ParseMemory(%q) = %d, want an error: %d × %d overflows", s, n, v, mult)
		} else if n != v*mult {
			t.Errorf("ParseMemory(%q) = %d, want %d × %d = %d", s, n, v, mult, v*mult)
		}
	})
}
