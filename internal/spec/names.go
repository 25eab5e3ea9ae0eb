package spec

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Every value below ends up in a file of the container (/etc/hostname, /etc/hosts,
// /etc/resolv.conf) or in the answers of the embedded DNS, one per line or per field: a
// newline, a blank or a '#' in one would add lines or fields of the user's choosing. They
// are checked here, with Docker's words where Docker has them.

// shown is s as an error message prints it: as it is when it is printable and has no blank,
// quoted otherwise, so that the message stays one line.
func shown(s string) string {
	if s == "" {
		return `""`
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || !strconv.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// isLabel tells whether l is a DNS label of RFC 1123: letters, digits and '-', neither first
// nor last, 1 to 63 characters.
func isLabel(l string) bool {
	if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// isDomainName tells whether s is dot-separated RFC 1123 labels, at most 253 characters.
func isDomainName(s string) bool {
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	for _, l := range strings.Split(s, ".") {
		if !isLabel(l) {
			return false
		}
	}
	return true
}

// ValidateHostname checks a container's hostname (-h) as Docker's daemon does: RFC 1123
// labels, at most 63 characters in all (a Linux hostname holds 64 bytes with its NUL).
func ValidateHostname(h string) error {
	if len(h) > 63 || !isDomainName(h) {
		return fmt.Errorf("invalid hostname format: %s", shown(h))
	}
	return nil
}

// ValidateDNSSearch checks a search domain (--dns-search) and returns it as it goes into
// resolv.conf: "." (no search domain), or a domain with at least one letter, without its
// trailing dot and the blanks around it, shorter than 255 characters. The error is Docker's.
func ValidateDNSSearch(s string) (string, error) {
	v := strings.Trim(s, " ")
	if v == "." {
		return v, nil
	}
	d := strings.TrimSuffix(v, ".")
	if !strings.ContainsAny(d, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") || !isDomainName(d) {
		return "", fmt.Errorf("%s is not a valid domain", shown(s))
	}
	return d, nil
}

// ValidateDNSOption checks a resolver option (--dns-option, "ndots:2", "edns0") and returns it
// as it goes into the options line of resolv.conf: one word, without the blanks around it.
func ValidateDNSOption(s string) (string, error) {
	v := strings.TrimSpace(s)
	if v == "" || strings.IndexFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
		return "", fmt.Errorf("invalid DNS option %s: one word, such as ndots:2", shown(s))
	}
	return v, nil
}

// ValidateIPAddress checks a DNS server (--dns) and returns it in its canonical form. The
// error is Docker's.
func ValidateIPAddress(s string) (string, error) {
	ip, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil || ip.Zone() != "" {
		return "", fmt.Errorf("ip address is not correctly formatted: %q", s)
	}
	return ip.Unmap().String(), nil
}

// ValidateExtraHost checks an --add-host value, "name:ip" or "name=ip" (the address may be
// in brackets), and returns it as "name:ip". The name must be a host name: it becomes a field
// of /etc/hosts. The errors are Docker's.
func ValidateExtraHost(s string) (string, error) {
	name, addr, ok := strings.Cut(s, "=")
	if !ok {
		name, addr, ok = strings.Cut(s, ":")
	}
	if !ok || name == "" || strings.Contains(name, ":") || !isHostsName(name) {
		return "", fmt.Errorf("bad format for add-host: %q", s)
	}
	if len(addr) > 2 && addr[0] == '[' && addr[len(addr)-1] == ']' {
		addr = addr[1 : len(addr)-1]
	}
	if _, err := ValidateIPAddress(addr); err != nil {
		return "", fmt.Errorf("invalid IP address in add-host: %q", addr)
	}
	return name + ":" + addr, nil
}

// isHostsName tells whether name can be a field of /etc/hosts: printable, no blank, no '#',
// at most 253 characters. Docker asks no more (underscores and the like are accepted).
func isHostsName(name string) bool {
	if len(name) > 253 {
		return false
	}
	for _, r := range name {
		if r <= ' ' || r == 0x7f || r == '#' || !strconv.IsPrint(r) {
			return false
		}
	}
	return true
}

// ValidateAlias checks a network-scoped alias (--network-alias): a name the embedded DNS
// answers for and that may go into /etc/hosts. Docker accepts names that are not RFC 1123
// (compose's service names hold underscores); blanks, control characters and '#' are refused.
func ValidateAlias(a string) error {
	if a == "" || !isHostsName(a) {
		return fmt.Errorf("invalid network alias %s: blanks, control characters and '#' are not allowed", shown(a))
	}
	return nil
}
