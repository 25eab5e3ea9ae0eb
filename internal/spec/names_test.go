package spec

import (
	"strings"
	"testing"
)

func TestValidateHostname(t *testing.T) {
	for _, tc := range []struct {
		in, err string
	}{
		{in: "web"},
		{in: "a"},
		{in: "web-1.example.com"},
		{in: "A1"},
		{in: strings.Repeat("a", 63)},
		{in: strings.Repeat("a", 64), err: "invalid hostname format: " + strings.Repeat("a", 64)},
		{in: "evil\n10.0.0.1 bank", err: `invalid hostname format: "evil\n10.0.0.1 bank"`},
		{in: "a b", err: `invalid hostname format: "a b"`},
		{in: "-web", err: "invalid hostname format: -web"},
		{in: "web-", err: "invalid hostname format: web-"},
		{in: "a..b", err: "invalid hostname format: a..b"},
		{in: "web.", err: "invalid hostname format: web."},
		{in: "under_score", err: "invalid hostname format: under_score"},
		{in: "x#y", err: "invalid hostname format: x#y"},
	} {
		err := ValidateHostname(tc.in)
		if got := errString(err); got != tc.err {
			t.Errorf("ValidateHostname(%q) = %q, want %q", tc.in, got, tc.err)
		}
	}
}

func TestValidateDNSSearch(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{in: "example.com", want: "example.com"},
		{in: "example.com.", want: "example.com"},
		{in: " example.com ", want: "example.com"},
		{in: ".", want: "."},
		{in: "corp", want: "corp"},
		{in: "123", err: "123 is not a valid domain"},
		{in: "a\nnameserver 6.6.6.6", err: `"a\nnameserver 6.6.6.6" is not a valid domain`},
		{in: "a b", err: `"a b" is not a valid domain`},
		{in: "a\tb", err: `"a\tb" is not a valid domain`},
		{in: "", err: `"" is not a valid domain`},
		{in: "-a.com", err: "-a.com is not a valid domain"},
		{in: strings.Repeat("a.", 127) + "a", err: strings.Repeat("a.", 127) + "a is not a valid domain"},
	} {
		got, err := ValidateDNSSearch(tc.in)
		if errString(err) != tc.err || got != tc.want {
			t.Errorf("ValidateDNSSearch(%q) = %q, %q; want %q, %q", tc.in, got, errString(err), tc.want, tc.err)
		}
	}
}

func TestValidateDNSOption(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{in: "ndots:2", want: "ndots:2"},
		{in: " edns0 ", want: "edns0"},
		{in: "use-vc", want: "use-vc"},
		{in: "ndots:1\nnameserver 6.6.6.6", err: `invalid DNS option "ndots:1\nnameserver 6.6.6.6": one word, such as ndots:2`},
		{in: "ndots:1 rotate", err: `invalid DNS option "ndots:1 rotate": one word, such as ndots:2`},
		{in: "", err: `invalid DNS option "": one word, such as ndots:2`},
		{in: " ", err: `invalid DNS option " ": one word, such as ndots:2`},
	} {
		got, err := ValidateDNSOption(tc.in)
		if errString(err) != tc.err || got != tc.want {
			t.Errorf("ValidateDNSOption(%q) = %q, %q; want %q, %q", tc.in, got, errString(err), tc.want, tc.err)
		}
	}
}

func TestValidateIPAddress(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{in: "1.1.1.1", want: "1.1.1.1"},
		{in: " 8.8.8.8 ", want: "8.8.8.8"},
		{in: "2001:DB8::1", want: "2001:db8::1"},
		{in: "::ffff:10.0.0.1", want: "10.0.0.1"},
		{in: "1.2.3", err: `ip address is not correctly formatted: "1.2.3"`},
		{in: "1.1.1.1\nnameserver 6.6.6.6", err: `ip address is not correctly formatted: "1.1.1.1\nnameserver 6.6.6.6"`},
		{in: "dns.google", err: `ip address is not correctly formatted: "dns.google"`},
		{in: "fe80::1%eth0", err: `ip address is not correctly formatted: "fe80::1%eth0"`},
		{in: "", err: `ip address is not correctly formatted: ""`},
	} {
		got, err := ValidateIPAddress(tc.in)
		if errString(err) != tc.err || got != tc.want {
			t.Errorf("ValidateIPAddress(%q) = %q, %q; want %q, %q", tc.in, got, errString(err), tc.want, tc.err)
		}
	}
}

func TestValidateExtraHost(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{in: "db:10.0.0.2", want: "db:10.0.0.2"},
		{in: "db=10.0.0.2", want: "db:10.0.0.2"},
		{in: "v6:2001:db8::1", want: "v6:2001:db8::1"},
		{in: "v6=[2001:db8::1]", want: "v6:2001:db8::1"},
		{in: "my_host:10.0.0.2", want: "my_host:10.0.0.2"},
		{in: "db", err: `bad format for add-host: "db"`},
		{in: ":10.0.0.2", err: `bad format for add-host: ":10.0.0.2"`},
		{in: "a\n6.6.6.6 bank:10.0.0.2", err: `bad format for add-host: "a\n6.6.6.6 bank:10.0.0.2"`},
		{in: "a b:10.0.0.2", err: `bad format for add-host: "a b:10.0.0.2"`},
		{in: "a#b:10.0.0.2", err: `bad format for add-host: "a#b:10.0.0.2"`},
		{in: "db:10.0.0", err: `invalid IP address in add-host: "10.0.0"`},
		{in: "db:10.0.0.2\nx", err: `invalid IP address in add-host: "10.0.0.2\nx"`},
	} {
		got, err := ValidateExtraHost(tc.in)
		if errString(err) != tc.err || got != tc.want {
			t.Errorf("ValidateExtraHost(%q) = %q, %q; want %q, %q", tc.in, got, errString(err), tc.want, tc.err)
		}
	}
}

func TestValidateAlias(t *testing.T) {
	for _, tc := range []struct {
		in, err string
	}{
		{in: "db"},
		{in: "my_service"},
		{in: "db.internal"},
		{in: "", err: `invalid network alias "": blanks, control characters and '#' are not allowed`},
		{in: "a\nb", err: `invalid network alias "a\nb": blanks, control characters and '#' are not allowed`},
		{in: "a b", err: `invalid network alias "a b": blanks, control characters and '#' are not allowed`},
		{in: "a#b", err: "invalid network alias a#b: blanks, control characters and '#' are not allowed"},
	} {
		if got := errString(ValidateAlias(tc.in)); got != tc.err {
			t.Errorf("ValidateAlias(%q) = %q, want %q", tc.in, got, tc.err)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
