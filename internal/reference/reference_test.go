package reference

import (
	"errors"
	"strings"
	"testing"
)

var testDigest = "sha256:" + strings.Repeat("ab", 32)

// parseTests and parseErrorTests also seed FuzzParse.
var parseTests = []struct {
	in                        string
	domain, path, tag, digest string
	familiar                  string
}{
	{"busybox", "docker.io", "library/busybox", "latest", "", "busybox:latest"},
	{"busybox:1.36", "docker.io", "library/busybox", "1.36", "", "busybox:1.36"},
	{"library/debian:bookworm", "docker.io", "library/debian", "bookworm", "", "debian:bookworm"},
	{"docker.io/library/debian:bookworm", "docker.io", "library/debian", "bookworm", "", "debian:bookworm"},
	{"index.docker.io/team/app", "docker.io", "team/app", "latest", "", "team/app:latest"},
	{"team/app:v1", "docker.io", "team/app", "v1", "", "team/app:v1"},
	{"127.0.0.1:5000/team/app:v1", "127.0.0.1:5000", "team/app", "v1", "", "127.0.0.1:5000/team/app:v1"},
	{"localhost/app", "localhost", "app", "latest", "", "localhost/app:latest"},
	{"localhost:5000/app", "localhost:5000", "app", "latest", "", "localhost:5000/app:latest"},
	{"[::1]:5000/app:x", "[::1]:5000", "app", "x", "", "[::1]:5000/app:x"},
	{"quay.io/a/b/c", "quay.io", "a/b/c", "latest", "", "quay.io/a/b/c:latest"},
	{"app@" + testDigest, "docker.io", "library/app", "", testDigest, "app@" + testDigest},
	{"app:v1@" + testDigest, "docker.io", "library/app", "v1", testDigest, "app:v1@" + testDigest},
	{"my_app-x.y__z:V_1.0-rc", "docker.io", "library/my_app-x.y__z", "V_1.0-rc", "", "my_app-x.y__z:V_1.0-rc"},
}

func TestParse(t *testing.T) {
	for _, tt := range parseTests {
		t.Run(tt.in, func(t *testing.T) {
			r, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if r.Domain != tt.domain || r.Path != tt.path || r.Tag != tt.tag || r.Digest != tt.digest {
				t.Fatalf("Parse(%q) = %+v", tt.in, r)
			}
			if got := r.Familiar(); got != tt.familiar {
				t.Errorf("Familiar() = %q, want %q", got, tt.familiar)
			}
		})
	}
}

var parseErrorTests = []struct{ in, msg string }{
	{"", "invalid reference format: empty reference"},
	{"BusyBox", "invalid reference format: repository name must be lowercase"},
	{"team/App:v1", "invalid reference format: repository name must be lowercase"},
	{"busybox:", "invalid reference format"},
	{"busybox:-x", "invalid reference format"},
	{"bu$ybox", "invalid reference format"},
	{"-busybox", "invalid reference format"},
	{"busybox@sha256:abc", "invalid reference format: invalid sha256 digest \"sha256:abc\""},
	{"busybox@md5:" + strings.Repeat("a", 32), "invalid reference format: unsupported digest \"md5:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" (only sha256)"},
	{"a//b", "invalid reference format"},
	{strings.Repeat("a", 256), "invalid reference format: repository name must not be more than 255 characters"},
	{"host:port/app", "invalid reference format"},
}

func TestParseErrors(t *testing.T) {
	for _, tt := range parseErrorTests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) succeeded", tt.in)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v is not ErrInvalid", err)
			}
			if err.Error() != tt.msg {
				t.Errorf("error = %q, want %q", err, tt.msg)
			}
		})
	}
}

// Found by FuzzParse: the familiar form of these names parsed to another
// repository ("docker.io/library/a/b" was shown as "a/b", "docker.io/0.0/0"
// as "0.0/0", a registry named "0.0").
func TestFamiliarParsesBack(t *testing.T) {
	for in, want := range map[string]string{
		"busybox":                       "busybox:latest",
		"docker.io/library/busybox":     "busybox:latest",
		"team/app":                      "team/app:latest",
		"library/a/b":                   "library/a/b:latest",
		"docker.io/library/a/b:v1":      "library/a/b:v1",
		"docker.io/0.0/0":               "docker.io/0.0/0:latest",
		"docker.io/localhost/app":       "docker.io/localhost/app:latest",
		"docker.io/library/localhost":   "localhost:latest",
		"docker.io/a.b/c@" + testDigest: "docker.io/a.b/c@" + testDigest,
	} {
		r, err := Parse(in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		if got := r.Familiar(); got != want {
			t.Errorf("Parse(%q).Familiar() = %q, want %q", in, got, want)
		}
		if again, err := Parse(r.Familiar()); err != nil || again != r {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", r.Familiar(), again, err, r)
		}
	}
}

// Found by FuzzParse: a name of 238 to 255 characters parsed, but its full
// form, with docker.io/library/, was too long to parse again. Docker counts
// the full form.
func TestParseNameLengthIsOfTheFullName(t *testing.T) {
	for _, tt := range []struct {
		in string
		ok bool
	}{
		{strings.Repeat("a", 237), true}, // docker.io/library/ + 237 = 255
		{strings.Repeat("a", 238), false},
		{"team/" + strings.Repeat("a", 240), true}, // docker.io/team/ + 240 = 255
		{"team/" + strings.Repeat("a", 241), false},
		{"index.docker.io/" + strings.Repeat("a", 238), false},
		{"quay.io/" + strings.Repeat("a", 247), true},
		{"quay.io/" + strings.Repeat("a", 248), false},
	} {
		r, err := Parse(tt.in)
		if !tt.ok {
			if want := "invalid reference format: repository name must not be more than 255 characters"; err == nil || err.Error() != want {
				t.Errorf("Parse(%d characters) = %v, %v; want error %q", len(tt.in), r, err, want)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%d characters): %v", len(tt.in), err)
			continue
		}
		if again, err := Parse(r.String()); err != nil || again != r {
			t.Errorf("Parse(%q) = %v, %v; want %v", r.String(), again, err, r)
		}
	}
}

func TestIsLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "localhost:5000": true, "127.0.0.1:5000": true, "127.3.4.5": true,
		"[::1]:5000": true, "docker.io": false, "10.0.0.1:5000": false, "registry.local:5000": false,
	} {
		if got := IsLoopbackHost(host); got != want {
			t.Errorf("IsLoopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}
