package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/geedocker/geedocker/internal/engine"
)

// legacyRunFlags are run's --expose, --mac-address, --log-driver and --link, kept apart from
// runFlags' other fields.
type legacyRunFlags struct {
	expose    []string
	mac       string
	logDriver string
	links     []string
}

func (o *legacyRunFlags) add(f *pflag.FlagSet) {
	f.Var(newCheckedList(&o.links, checkLink), "link", "Add link to another container")
	f.StringArrayVar(&o.expose, "expose", nil, "Expose a port or a range of ports")
	f.StringVar(&o.mac, "mac-address", "", "Container MAC address (e.g., 92:d0:c6:0a:29:33)")
	f.StringVar(&o.logDriver, "log-driver", "", "Logging driver for the container (json-file, local, none)")
}

// apply puts the flags into ro, with Docker's CLI checks.
func (o *legacyRunFlags) apply(ro *engine.RunOptions) error {
	expose, err := parseExpose(o.expose)
	if err != nil {
		return err
	}
	if o.mac != "" {
		if _, err := macAddress(o.mac); err != nil {
			return err
		}
	}
	ro.Expose, ro.MacAddress, ro.LogDriver, ro.Links = expose, o.mac, o.logDriver, o.links
	return nil
}

// checkLink is Docker's --link check: NAME or NAME:ALIAS.
func checkLink(v string) (string, error) {
	parts := strings.Split(v, ":")
	if len(parts) > 2 || parts[0] == "" || len(parts) == 2 && parts[1] == "" {
		return "", fmt.Errorf("bad format for links: %s", v)
	}
	return v, nil
}

// macAddress checks a --mac-address in Docker's words.
func macAddress(v string) (string, error) {
	if !isMAC(v) {
		return "", fmt.Errorf("%s is not a valid mac address", v)
	}
	return v, nil
}

func isMAC(v string) bool {
	parts := strings.FieldsFunc(v, func(r rune) bool { return r == ':' || r == '-' })
	if len(parts) != 6 || strings.Count(v, ":")+strings.Count(v, "-") != 5 {
		return false
	}
	for _, p := range parts {
		if len(p) != 2 {
			return false
		}
		if _, err := strconv.ParseUint(p, 16, 8); err != nil {
			return false
		}
	}
	return true
}

// parseExpose turns --expose values (PORT, PORT/PROTO, START-END[/PROTO]) into "PORT/PROTO"
// ports, as Docker's CLI does, with its messages.
func parseExpose(values []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, v := range values {
		if strings.Contains(v, ":") {
			return nil, fmt.Errorf("invalid port format for --expose: %s", v)
		}
		port, proto, ok := strings.Cut(v, "/")
		if !ok || proto == "" {
			proto = "tcp"
		}
		proto = strings.ToLower(proto)
		lo, hi, err := portRange(port)
		if err != nil {
			return nil, fmt.Errorf("invalid range format for --expose: %s, error: %s", v, err)
		}
		if proto != "tcp" && proto != "udp" {
			return nil, fmt.Errorf("invalid proto for --expose: %s: only tcp and udp are supported", v)
		}
		for p := lo; p <= hi; p++ {
			s := strconv.FormatUint(p, 10) + "/" + proto
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out, nil
}

// portRange reads "80" or "8000-8010" as go-connections' ParsePortRange does.
func portRange(s string) (lo, hi uint64, err error) {
	if s == "" {
		return 0, 0, fmt.Errorf("empty string specified for ports")
	}
	a, b, isRange := strings.Cut(s, "-")
	if lo, err = strconv.ParseUint(a, 10, 16); err != nil {
		return 0, 0, err
	}
	if !isRange {
		return lo, lo, nil
	}
	if hi, err = strconv.ParseUint(b, 10, 16); err != nil {
		return 0, 0, err
	}
	if hi < lo {
		return 0, 0, fmt.Errorf("invalid range specified for port: %s", s)
	}
	return lo, hi, nil
}
