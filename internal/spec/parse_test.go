package spec

import (
	"slices"
	"strings"
	"testing"
)

const (
	kiB = 1024
	miB = 1024 * kiB
	giB = 1024 * miB
)

// memoryGood and memoryBad also seed FuzzParseMemory.
var memoryGood = []struct {
	in   string
	want int64
}{
	{"0", 0},
	{"1024", 1024},
	{"100b", 100},
	{"100B", 100},
	{"512k", 512 * kiB},
	{"512K", 512 * kiB},
	{"512kb", 512 * kiB},
	{"512KiB", 512 * kiB},
	{"256m", 256 * miB},
	{"256M", 256 * miB},
	{"256mb", 256 * miB},
	{"256MB", 256 * miB},
	{"256 m", 256 * miB},
	{"1g", giB},
	{"1G", giB},
	{"1gb", giB},
	{"1GiB", giB},
	{"1.5g", giB + giB/2},
	{"0.5k", 512},
	{"1.5", 1}, // fractions of a byte are cut
	{"2t", 2 << 40},
	{"1p", 1 << 50},
	{"1i", 1}, // go-units' grammar allows a lone "i"
}

var memoryBad = []string{
	"", "10XB", "-1m", "m", "1.g", ".5g", "1..5g", "1.2.3", "1gg", "1  g", " 1g", "1g ",
	"1e3", "1bb", "1kbi", "0x10", "+1m", "1,5g", "99999999999999p",
}

func TestParseMemory(t *testing.T) {
	for _, tc := range memoryGood {
		got, err := ParseMemory(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseMemory(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}

	for _, in := range memoryBad {
		got, err := ParseMemory(in)
		if err == nil {
			t.Errorf("ParseMemory(%q) = %d, want an error", in, got)
			continue
		}
		if want := "invalid size: '" + in + "'"; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("ParseMemory(%q) error %q, want it to start with %q", in, err, want)
		}
	}
}

// Found by FuzzParseMemory: a value with a newline made a two-line error.
func TestParseMemoryErrorIsOneLine(t *testing.T) {
	for in, want := range map[string]string{
		"\n":         `invalid size: '\n'`,
		"1\ng":       `invalid size: '1\ng'`,
		"1\x00":      `invalid size: '1\x00'`,
		"1\xff":      `invalid size: '1\xff'`,
		"1\u2028":    `invalid size: '1\u2028'`,
		"10 Mo é'\"": `invalid size: '10 Mo é'"'`, // printable: as Docker prints it
	} {
		_, err := ParseMemory(in)
		if err == nil || err.Error() != want {
			t.Errorf("ParseMemory(%q) error = %v, want %s", in, err, want)
		}
	}
}

// Found by FuzzParseMemory: a number beyond float64 was "invalid", while
// one just below that was "too large".
func TestParseMemoryTooLarge(t *testing.T) {
	for _, in := range []string{"9223372036854775807", "8388608t", "99999999999999p", strings.Repeat("9", 400), strings.Repeat("9", 400) + ".5k"} {
		_, err := ParseMemory(in)
		if want := "invalid size: '" + in + "': too large"; err == nil || err.Error() != want {
			t.Errorf("ParseMemory(%q) error = %v, want %q", in, err, want)
		}
	}
	if n, err := ParseMemory("0." + strings.Repeat("0", 400) + "1"); err != nil || n != 0 {
		t.Errorf("ParseMemory(a tiny fraction) = %d, %v; want 0", n, err)
	}
}

func TestParseMemoryDockerWording(t *testing.T) {
	_, err := ParseMemory("10XB")
	if err == nil || err.Error() != "invalid size: '10XB'" {
		t.Fatalf("ParseMemory(10XB) error = %v, want Docker's \"invalid size: '10XB'\"", err)
	}
}

func pinCPUs(t *testing.T, n int) {
	t.Helper()
	old := numCPU
	numCPU = func() int { return n }
	t.Cleanup(func() { numCPU = old })
}

func TestParseCPUs(t *testing.T) {
	pinCPUs(t, 2)
	good := []struct {
		in   string
		want int64
	}{
		{"0", 0},
		{"1", 1e9},
		{"2", 2e9},
		{"1.5", 1.5e9},
		{"0.25", 2.5e8},
		{"0.01", 1e7},
		{"0.000000001", 1},
		{"1/2", 5e8},
		{"16", 16e9}, // more than the host has: Build refuses it, the parser does not
	}
	for _, tc := range good {
		got, err := ParseCPUs(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseCPUs(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}

	bad := []struct{ in, want string }{
		{"", "failed to parse  as a rational number"},
		{"abc", "failed to parse abc as a rational number"},
		{"NaN", "failed to parse NaN as a rational number"},
		{"Inf", "failed to parse Inf as a rational number"},
		{"1.5cpus", "failed to parse 1.5cpus as a rational number"},
		{"0.0000000001", "value is too precise"},
		{"1/3", "value is too precise"},
		{"-1", "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available"},
		{"-0.5", "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available"},
		{"1e400", "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available"},
	}
	for _, tc := range bad {
		got, err := ParseCPUs(tc.in)
		if err == nil || err.Error() != tc.want {
			t.Errorf("ParseCPUs(%q) = %d, %v; want error %q", tc.in, got, err, tc.want)
		}
	}
}

func fakeEnv(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

func TestParseEnvFile(t *testing.T) {
	lookup := fakeEnv(map[string]string{"FROM_HOST": "host value", "EMPTY_ON_HOST": ""})
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr string
	}{
		{name: "empty file", in: "", want: nil},
		{name: "pairs", in: "A=1\nB=2\n", want: []string{"A=1", "B=2"}},
		{name: "no trailing newline", in: "A=1", want: []string{"A=1"}},
		{name: "comments and blanks", in: "# comment\n\nA=1\n   \n  # indented comment\nB=2", want: []string{"A=1", "B=2"}},
		{name: "value kept verbatim", in: "A= spaced value \nB=\"quoted\"\nC='single'\nD=$HOME", want: []string{"A= spaced value ", `B="quoted"`, "C='single'", "D=$HOME"}},
		{name: "leading whitespace of the line is dropped", in: "   A=1\n\tB=2", want: []string{"A=1", "B=2"}},
		{name: "value with equals", in: "URL=a=b=c", want: []string{"URL=a=b=c"}},
		{name: "empty value", in: "A=", want: []string{"A="}},
		{name: "hash inside a value", in: "A=x # not a comment", want: []string{"A=x # not a comment"}},
		{name: "key alone taken from the environment", in: "FROM_HOST\nEMPTY_ON_HOST", want: []string{"FROM_HOST=host value", "EMPTY_ON_HOST="}},
		{name: "key alone unset is dropped", in: "A=1\nNOT_SET\nB=2", want: []string{"A=1", "B=2"}},
		{name: "CRLF line endings", in: "A=1\r\nB=2\r\n", want: []string{"A=1", "B=2"}},
		{name: "byte order mark", in: "\xEF\xBB\xBFA=1\nB=2", want: []string{"A=1", "B=2"}},
		{name: "later duplicate kept (Build makes it win)", in: "A=1\nA=2", want: []string{"A=1", "A=2"}},
		{name: "space in key", in: "A=1\nBAD KEY=2", wantErr: "poorly formatted environment: variable 'BAD KEY' contains whitespaces"},
		{name: "space before equals", in: "KEY =2", wantErr: "poorly formatted environment: variable 'KEY ' contains whitespaces"},
		{name: "key alone with trailing space", in: "FROM_HOST ", wantErr: "poorly formatted environment: variable 'FROM_HOST ' contains whitespaces"},
		{name: "no name", in: "=value", wantErr: "poorly formatted environment: no variable name on line '=value'"},
		{name: "invalid utf8", in: "A=1\nB=\xff\xfe", wantErr: "env file contains invalid utf8 bytes at line 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseEnvFile(strings.NewReader(tc.in), lookup)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("got %q, %v; want error %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseEnvFileUsesProcessEnvironment(t *testing.T) {
	t.Setenv("GEEDOCKER_SPEC_TEST_VAR", "from the process")
	got, err := ParseEnvFile(strings.NewReader("GEEDOCKER_SPEC_TEST_VAR\nGEEDOCKER_SPEC_TEST_UNSET_VAR\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"GEEDOCKER_SPEC_TEST_VAR=from the process"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestResolveEnv(t *testing.T) {
	lookup := fakeEnv(map[string]string{"SET": "x", "EMPTY": ""})
	tests := []struct {
		in, want []string
	}{
		{nil, []string{}},
		{[]string{"A=1"}, []string{"A=1"}},
		{[]string{"A="}, []string{"A="}},
		{[]string{"A=b=c"}, []string{"A=b=c"}},
		{[]string{"SET"}, []string{"SET=x"}},
		{[]string{"EMPTY"}, []string{"EMPTY="}},
		{[]string{"UNSET"}, []string{"UNSET"}}, // kept bare: Build removes UNSET
		{[]string{"A=1", "", "SET", "UNSET", "A=2"}, []string{"A=1", "SET=x", "UNSET", "A=2"}},
	}
	for _, tc := range tests {
		got := ResolveEnv(tc.in, lookup)
		if !slices.Equal(got, tc.want) {
			t.Errorf("ResolveEnv(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
