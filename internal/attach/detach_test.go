package attach

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestParseDetachKeys(t *testing.T) {
	tests := []struct {
		in   string
		want []byte
		err  string
	}{
		{"ctrl-p,ctrl-q", []byte{0x10, 0x11}, ""},
		{"ctrl-x,x", []byte{0x18, 'x'}, ""},
		{"a", []byte{'a'}, ""},
		{"ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_", []byte{0, 27, 28, 29, 30, 31}, ""},
		{"CTRL-A", []byte{1}, ""},
		{"ctrl-xx", nil, "Unknown character: 'ctrl-xx'"},
		{"ab", nil, "Unknown character: 'ab'"},
		{"ctrl-1", nil, "Unknown character: 'ctrl-1'"},
		{"", nil, "Unknown character: ''"},
	}
	for _, tt := range tests {
		got, err := ParseDetachKeys(tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("ParseDetachKeys(%q) = %v, %v; want error %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || !bytes.Equal(got, tt.want) {
			t.Errorf("ParseDetachKeys(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestPartialSuffix(t *testing.T) {
	seq := []byte("abc")
	tests := []struct {
		data string
		want int
	}{
		{"xxa", 1}, {"xab", 2}, {"ab", 2}, {"x", 0}, {"abx", 0}, {"", 0}, {"xabc", 0},
	}
	for _, tt := range tests {
		if got := partialSuffix([]byte(tt.data), seq); got != tt.want {
			t.Errorf("partialSuffix(%q) = %d, want %d", tt.data, got, tt.want)
		}
	}
}

func TestDetachReader(t *testing.T) {
	tests := []struct {
		name, in, keys string
		want           string
		detached       bool
	}{
		{"no sequence", "hello\n", "", "hello\n", false},
		{"default keys", "ls\n\x10\x11echo after", "", "ls\n", true},
		{"own keys", "abXYZcd", "XYZ", "ab", true},
		{"a prefix that is not the sequence", "a\x10b\x10", "", "a\x10b\x10", false},
		{"the sequence first", "\x10\x11rest", "", "", true},
		{"a prefix held to the end", "abX", "XY", "abX", false},
	}
	for _, tt := range tests {
		for _, one := range []bool{false, true} {
			var r io.Reader = strings.NewReader(tt.in)
			if one { // every byte in a read of its own: a sequence split across reads
				r = iotest.OneByteReader(r)
			}
			got, err := io.ReadAll(NewDetachReader(r, []byte(tt.keys)))
			if string(got) != tt.want || errors.Is(err, ErrDetached) != tt.detached || err != nil && !tt.detached {
				t.Errorf("%s (one byte a read: %v): read %q, %v; want %q, detached %v", tt.name, one, got, err, tt.want, tt.detached)
			}
		}
	}
}
