package engine

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/geedocker/geedocker/internal/cgroups"
	"github.com/geedocker/geedocker/internal/container"
)

// Stats is what `stats` shows of a running container: its cgroup's usage
// and the bytes its network interfaces received and sent.
type Stats struct {
	cgroups.Stats
	NetRx, NetTx uint64
}

// Stats reads a running container's usage.
func (e *Engine) Stats(c *container.Container) (Stats, error) {
	cg, err := e.cgroup(c.ID)
	if err != nil {
		return Stats{}, err
	}
	st, err := cg.Stats()
	if err != nil {
		return Stats{}, err
	}
	out := Stats{Stats: st}
	// The network namespace of the container's init: its net/dev.
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/dev", c.State.Pid)); err == nil && c.State.Pid > 0 {
		out.NetRx, out.NetTx = parseNetDev(string(b))
	}
	return out, nil
}

// parseNetDev sums the bytes received and sent by the interfaces of a
// /proc/PID/net/dev, loopback aside (as Docker's stats).
func parseNetDev(s string) (rx, tx uint64) {
	for _, line := range strings.Split(s, "\n") {
		name, rest, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(name) == "lo" {
			continue
		}
		f := strings.Fields(rest)
		if len(f) < 9 {
			continue
		}
		r, err1 := strconv.ParseUint(f[0], 10, 64)
		t, err2 := strconv.ParseUint(f[8], 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		rx += r
		tx += t
	}
	return rx, tx
}
