package spec

import (
	"fmt"
	"github.com/geedocker/geedocker/internal/caps"
	"slices"
	"strings"
)

// DefaultCapabilities is Docker's default capability set (caps.Default).
var DefaultCapabilities = caps.Default

// AllCapabilities lists every Linux capability in kernel order (caps.All). A
// privileged container gets all of them.
var AllCapabilities = caps.All

// capAll is the pseudo-capability of --cap-add ALL / --cap-drop ALL.
const capAll = "ALL"

// normalizeCaps upper-cases the names, adds the CAP_ prefix and rejects
// names that are not Linux capabilities. "ALL" is kept as it is.
func normalizeCaps(names []string) ([]string, error) {
	out := make([]string, 0, len(names))
	for _, n := range names {
		c := strings.ToUpper(strings.TrimSpace(n))
		if c == capAll {
			out = append(out, c)
			continue
		}
		if !strings.HasPrefix(c, "CAP_") {
			c = "CAP_" + c
		}
		if !slices.Contains(AllCapabilities, c) {
			return nil, fmt.Errorf("unknown capability: %q", c)
		}
		out = append(out, c)
	}
	return out, nil
}

// capabilities applies --cap-add and --cap-drop to Docker's defaults, the
// way moby's TweakCapabilities does:
//   - privileged: every capability, add and drop ignored;
//   - --cap-add ALL: every capability except those dropped;
//   - --cap-drop ALL: only the added ones;
//   - otherwise: defaults minus dropped, plus added (an added capability
//     wins over the same one dropped).
//
// The result has no duplicates and keeps first-seen order.
func capabilities(add, drop []string, privileged bool) ([]string, error) {
	if privileged {
		return slices.Clone(AllCapabilities), nil
	}
	adds, err := normalizeCaps(add)
	if err != nil {
		return nil, err
	}
	drops, err := normalizeCaps(drop)
	if err != nil {
		return nil, err
	}

	var caps []string
	switch {
	case slices.Contains(adds, capAll):
		for _, c := range AllCapabilities {
			if !slices.Contains(drops, c) {
				caps = append(caps, c)
			}
		}
	case slices.Contains(drops, capAll):
		caps = adds
	default:
		for _, c := range DefaultCapabilities {
			if !slices.Contains(drops, c) {
				caps = append(caps, c)
			}
		}
		caps = append(caps, adds...)
	}

	out := make([]string, 0, len(caps))
	for _, c := range caps {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out, nil
}
