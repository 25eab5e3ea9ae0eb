package logs

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzParseOptions checks, for any list of --log-opt values (the fuzzer's
// string split at NUL bytes, which no command-line argument holds):
// ParseOptions does not panic; an error is one line; the options are in
// range (a size above 0 or none, at least one file); and written back as
// --log-opt values they parse to the same options.
func FuzzParseOptions(f *testing.F) {
	for _, tt := range parseOptionsTests {
		f.Add(strings.Join(tt.opts, "\x00"))
	}
	f.Fuzz(func(t *testing.T, s string) {
		var opts []string
		if s != "" {
			opts = strings.Split(s, "\x00")
		}
		o, err := ParseOptions(opts)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("ParseOptions(%q) error spans lines: %q", opts, err)
			}
			return
		}
		if o.MaxSize < 0 || o.MaxFile < 1 {
			t.Fatalf("ParseOptions(%q) = %+v, out of range", opts, o)
		}
		back := []string{"max-file=" + strconv.Itoa(o.MaxFile)}
		if o.MaxSize > 0 {
			back = append(back, "max-size="+strconv.FormatInt(o.MaxSize, 10))
		}
		again, err := ParseOptions(back)
		if err != nil || again != o {
			t.Fatalf("ParseOptions(%q) = %+v, but %q parses to %+v, %v", opts, o, back, again, err)
		}
	})
}
