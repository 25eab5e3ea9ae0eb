package volume

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/geedocker/geedocker/internal/errdefs"
)

// Filters are the filters of `volume ls` (dangling, name, driver, label) and of
// `volume prune` (label, label!), by key.
type Filters map[string][]string

// ParseFilters checks the keys and values given; prune says which command's keys count.
func ParseFilters(f map[string][]string, prune bool) (Filters, error) {
	out := Filters{}
	for k, vals := range f {
		k = strings.ToLower(strings.TrimSpace(k))
		switch {
		case k == "dangling" && !prune:
			for _, v := range vals {
				if _, err := strconv.ParseBool(v); err != nil {
					return nil, errdefs.InvalidArgument(fmt.Errorf("invalid filter 'dangling=%s'", v))
				}
			}
		case (k == "name" || k == "driver") && !prune, k == "label", k == "label!" && prune:
		default:
			return nil, errdefs.InvalidArgument(fmt.Errorf("invalid filter '%s'", k))
		}
		out[k] = append(out[k], vals...)
	}
	return out, nil
}

// Match reports whether a volume with that many users passes every filter: values of one
// key are alternatives, keys all apply; every label value applies, as Docker's.
func (f Filters) Match(v *Volume, users int) bool {
	for k, vals := range f {
		switch k {
		case "dangling":
			want, _ := strconv.ParseBool(vals[len(vals)-1])
			if want != (users == 0) {
				return false
			}
		case "name":
			if !anyOf(vals, func(s string) bool { return strings.Contains(v.Name, s) }) {
				return false
			}
		case "driver":
			if !anyOf(vals, func(s string) bool { return s == v.Driver }) {
				return false
			}
		case "label":
			for _, l := range vals {
				if !hasLabel(v.Labels, l) {
					return false
				}
			}
		case "label!":
			for _, l := range vals {
				if hasLabel(v.Labels, l) {
					return false
				}
			}
		}
	}
	return true
}

func anyOf(vals []string, fn func(string) bool) bool {
	for _, s := range vals {
		if fn(s) {
			return true
		}
	}
	return false
}

// hasLabel matches "key" (present) or "key=value".
func hasLabel(labels map[string]string, l string) bool {
	k, want, withValue := strings.Cut(l, "=")
	got, ok := labels[k]
	return ok && (!withValue || got == want)
}
