package build

import "testing"

func TestRawExpand(t *testing.T) {
	x := RawExpand([]string{"NAME=world", "EMPTY="})
	for _, tc := range []struct{ in, want string }{
		{"hello $NAME\n", "hello world\n"},
		{"'${NAME}' \"$NAME\"\n", "'world' \"world\"\n"},
		{"${MISSING:-dflt}", "dflt"},
		{"a\\b $EMPTY.", "ab ."}, // a backslash escapes, as in BuildKit
	} {
		got, err := x(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("RawExpand(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
