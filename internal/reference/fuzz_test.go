package reference

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse checks, for any string: Parse does not panic; an error is
// ErrInvalid and one line; a parsed reference is complete, and its String
// and Familiar forms parse back to the same reference (normalising is
// idempotent); ParseName agrees with Parse.
func FuzzParse(f *testing.F) {
	for _, tt := range parseTests {
		f.Add(tt.in)
	}
	for _, tt := range parseErrorTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		named, nameErr := ParseName(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("Parse(%q) error %q is not ErrInvalid", s, err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("Parse(%q) error spans lines: %q", s, err)
			}
			if nameErr == nil {
				t.Errorf("ParseName(%q) = %+v, but Parse failed: %v", s, named, err)
			}
			return
		}
		if r.Domain == "" || r.Path == "" || (r.Tag == "" && r.Digest == "") {
			t.Fatalf("Parse(%q) = %+v: a part is missing", s, r)
		}
		for _, form := range []string{r.String(), r.Familiar()} {
			again, err := Parse(form)
			if err != nil {
				t.Fatalf("Parse(%q) = %+v, whose form %q does not parse: %v", s, r, form, err)
			}
			if again != r {
				t.Fatalf("Parse(%q) = %+v, but its form %q parses to %+v", s, r, form, again)
			}
		}
		if r.Digest == "" && (nameErr != nil || named != r) {
			t.Errorf("ParseName(%q) = %+v, %v; Parse gave %+v", s, named, nameErr, r)
		}
		if r.Digest != "" && nameErr == nil {
			t.Errorf("ParseName(%q) accepted a digest", s)
		}
		r.IsLoopback()
	})
}
