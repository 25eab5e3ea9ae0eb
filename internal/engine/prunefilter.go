package engine

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/geedocker/geedocker/internal/errdefs"
	"github.com/geedocker/geedocker/internal/logs"
)

// PruneFilter is the --filter of prune, as dockerd reads it: until (created before that
// time), label (every one present, KEY or KEY=VALUE) and label! (none present). The zero
// PruneFilter keeps nothing back.
type PruneFilter struct {
	Until     time.Time
	Labels    []string
	NotLabels []string
}

// ParsePruneFilter reads prune filters (key → values); until takes Docker's times
// (RFC 3339, Unix seconds, or a duration back from now).
func ParsePruneFilter(f map[string][]string, now time.Time) (PruneFilter, error) {
	var pf PruneFilter
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		vs := f[k]
		switch k {
		case "until":
			if len(vs) > 1 {
				return pf, errdefs.InvalidArgument(fmt.Errorf("more than one until filter specified"))
			}
			t, err := logs.ParseSince(vs[0], now)
			if err != nil {
				return pf, errdefs.InvalidArgument(err)
			}
			pf.Until = t
		case "label":
			pf.Labels = append(pf.Labels, vs...)
		case "label!":
			pf.NotLabels = append(pf.NotLabels, vs...)
		default:
			return pf, errdefs.InvalidArgument(fmt.Errorf("invalid filter '%s'", k))
		}
	}
	return pf, nil
}

// Match says whether an object created at created with labels may be pruned.
func (f PruneFilter) Match(created time.Time, labels map[string]string) bool {
	if !f.Until.IsZero() && !created.IsZero() && !created.Before(f.Until) {
		return false
	}
	has := func(l string) bool {
		k, v, withValue := strings.Cut(l, "=")
		got, ok := labels[k]
		return ok && (!withValue || got == v)
	}
	for _, l := range f.Labels {
		if !has(l) {
			return false
		}
	}
	for _, l := range f.NotLabels {
		if has(l) {
			return false
		}
	}
	return true
}

// IsZero says whether f filters nothing.
func (f PruneFilter) IsZero() bool {
	return f.Until.IsZero() && len(f.Labels) == 0 && len(f.NotLabels) == 0
}
