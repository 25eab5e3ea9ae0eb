package cli

import (
	"fmt"
	"regexp"
	"strings"
)

// networkFilter is `network ls --filter`: name and id match as Docker's (a
// regular expression; an ID by its start too), driver, scope and type
// (builtin or custom) exactly. Several values of one key are alternatives;
// different keys must all match.
type networkFilter map[string][]string

func parseNetworkFilters(args []string) (networkFilter, error) {
	f := networkFilter{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			return nil, flagError{fmt.Errorf("bad format of filter (expected name=value): %s", a)}
		}
		switch k {
		case "name", "id", "driver", "scope":
		case "type":
			if v != "custom" && v != "builtin" {
				return nil, fmt.Errorf("invalid filter: 'type'='%s'", v)
			}
		default:
			return nil, fmt.Errorf("invalid filter '%s'", k)
		}
		f[k] = append(f[k], v)
	}
	return f, nil
}

func (f networkFilter) match(r networkRow, fullID string) bool {
	builtin := r.Name == "bridge" || r.Name == "host" || r.Name == "none"
	for k, vs := range f {
		ok := false
		for _, v := range vs {
			switch k {
			case "name":
				ok = ok || matchPattern(v, r.Name)
			case "id":
				ok = ok || strings.HasPrefix(fullID, v) || matchPattern(v, fullID)
			case "driver":
				ok = ok || r.Driver == v
			case "scope":
				ok = ok || r.Scope == v
			case "type":
				ok = ok || (v == "builtin") == builtin
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// matchPattern is Docker's filters.Match: a regular expression, or the
// plain text when it is not one.
func matchPattern(pattern, s string) bool {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return strings.Contains(s, pattern)
	}
	return re.MatchString(s)
}
