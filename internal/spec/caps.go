package spec

import (
	"fmt"
	"slices"
	"strings"
)

// DefaultCapabilities is Docker's default capability set, in Docker's order.
var DefaultCapabilities = []string{
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_FSETID",
	"CAP_FOWNER",
	"CAP_MKNOD",
	"CAP_NET_RAW",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETFCAP",
	"CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT",
	"CAP_KILL",
	"CAP_AUDIT_WRITE",
}

// AllCapabilities lists every Linux capability up to CAP_CHECKPOINT_RESTORE
// (40), in kernel order. A privileged container gets all of them; a runtime
// on an older kernel must skip the ones beyond /proc/sys/kernel/cap_last_cap.
var AllCapabilities = []string{
	"CAP_CHOWN",              // 0
	"CAP_DAC_OVERRIDE",       // 1
	"CAP_DAC_READ_SEARCH",    // 2
	"CAP_FOWNER",             // 3
	"CAP_FSETID",             // 4
	"CAP_KILL",               // 5
	"CAP_SETGID",             // 6
	"CAP_SETUID",             // 7
	"CAP_SETPCAP",            // 8
	"CAP_LINUX_IMMUTABLE",    // 9
	"CAP_NET_BIND_SERVICE",   // 10
	"CAP_NET_BROADCAST",      // 11
	"CAP_NET_ADMIN",          // 12
	"CAP_NET_RAW",            // 13
	"CAP_IPC_LOCK",           // 14
	"CAP_IPC_OWNER",          // 15
	"CAP_SYS_MODULE",         // 16
	"CAP_SYS_RAWIO",          // 17
	"CAP_SYS_CHROOT",         // 18
	"CAP_SYS_PTRACE",         // 19
	"CAP_SYS_PACCT",          // 20
	"CAP_SYS_ADMIN",          // 21
	"CAP_SYS_BOOT",           // 22
	"CAP_SYS_NICE",           // 23
	"CAP_SYS_RESOURCE",       // 24
	"CAP_SYS_TIME",           // 25
	"CAP_SYS_TTY_CONFIG",     // 26
	"CAP_MKNOD",              // 27
	"CAP_LEASE",              // 28
	"CAP_AUDIT_WRITE",        // 29
	"CAP_AUDIT_CONTROL",      // 30
	"CAP_SETFCAP",            // 31
	"CAP_MAC_OVERRIDE",       // 32
	"CAP_MAC_ADMIN",          // 33
	"CAP_SYSLOG",             // 34
	"CAP_WAKE_ALARM",         // 35
	"CAP_BLOCK_SUSPEND",      // 36
	"CAP_AUDIT_READ",         // 37
	"CAP_PERFMON",            // 38
	"CAP_BPF",                // 39
	"CAP_CHECKPOINT_RESTORE", // 40
}

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
