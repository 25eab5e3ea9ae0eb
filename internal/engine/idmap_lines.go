package engine

import (
	"strconv"
	"strings"
)

// hostID maps an id inside a user namespace to the host's through the
// namespace's /proc/PID/uid_map ("inside outside count" lines).
func hostID(idMap string, id uint32) (uint32, bool) {
	for _, line := range strings.Split(idMap, "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		inside, err1 := strconv.ParseUint(f[0], 10, 32)
		outside, err2 := strconv.ParseUint(f[1], 10, 32)
		count, err3 := strconv.ParseUint(f[2], 10, 32)
		if err1 != nil || err2 != nil || err3 != nil {
			continue
		}
		if uint64(id) >= inside && uint64(id)-inside < count {
			return uint32(outside + uint64(id) - inside), true
		}
	}
	return 0, false
}
