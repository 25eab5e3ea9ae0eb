package api

import (
	"encoding/json"
	"net/http"
	"os"
	goruntime "runtime"
	"strconv"
	"strings"
	"time"

	ctypes "github.com/moby/moby/api/types/container"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/engine"
)

// statsInterval is how often a stats stream samples, as dockerd's.
const statsInterval = time.Second

// statsSample is what stats reads at one moment.
type statsSample struct {
	at     time.Time
	st     engine.Stats
	system uint64 // the host's CPU time, in nanoseconds
	ok     bool   // the container was running and its cgroup readable
}

func (s *Server) sample(c *container.Container) statsSample {
	sm := statsSample{at: time.Now(), system: systemCPU()}
	if c.State.Running {
		if st, err := s.Engine.Stats(c); err == nil {
			sm.st, sm.ok = st, true
		}
	}
	return sm
}

// statsResponse is Docker's document of a sample, with the one before it as
// the "pre" values the client computes CPU percentages from.
func statsResponse(c *container.Container, cur, pre statsSample) ctypes.StatsResponse {
	cpu := func(sm statsSample) ctypes.CPUStats {
		if !sm.ok {
			return ctypes.CPUStats{}
		}
		return ctypes.CPUStats{CPUUsage: ctypes.CPUUsage{TotalUsage: sm.st.CPUUsage}, SystemUsage: sm.system,
			OnlineCPUs: uint32(goruntime.NumCPU())}
	}
	out := ctypes.StatsResponse{
		ID: c.ID, Name: "/" + c.Name, OSType: "linux", Read: cur.at, PreRead: pre.at,
		CPUStats: cpu(cur), PreCPUStats: cpu(pre),
	}
	if !cur.ok {
		out.Read = time.Time{}
		return out
	}
	st := cur.st
	limit := st.MemoryLimit
	if limit == 0 {
		limit = uint64(memTotal())
	}
	out.MemoryStats = ctypes.MemoryStats{Usage: st.MemoryUsage, Limit: limit,
		Stats: map[string]uint64{"inactive_file": st.MemoryInactiveFile}}
	out.PidsStats = ctypes.PidsStats{Current: st.Pids}
	out.Networks = map[string]ctypes.NetworkStats{"eth0": {RxBytes: st.NetRx, TxBytes: st.NetTx}}
	out.BlkioStats = ctypes.BlkioStats{IoServiceBytesRecursive: []ctypes.BlkioStatEntry{
		{Op: "read", Value: st.BlockRead}, {Op: "write", Value: st.BlockWrite}}}
	return out
}

// systemCPU is the host's CPU time from /proc/stat, in nanoseconds (0 when
// unknown).
func systemCPU() uint64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0
	}
	var ticks uint64
	for _, v := range f[1:8] {
		n, _ := strconv.ParseUint(v, 10, 64)
		ticks += n
	}
	return ticks * uint64(time.Second/100) // USER_HZ is 100
}

// containerStats is GET /containers/{id}/stats: a stream of samples, one a
// second, until the container stops (stream=1, the default); or one
// document, sampled twice a second apart (stream=0), or once (one-shot=1).
func (s *Server) containerStats(w http.ResponseWriter, r *http.Request) {
	c, ok := s.lookup(w, r)
	if !ok {
		return
	}
	stream := r.URL.Query().Get("stream") == "" || boolParam(r, "stream")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(flushWriter{w})
	pre := statsSample{}
	if !stream && !boolParam(r, "one-shot") && c.State.Running {
		pre = s.sample(c)
		select {
		case <-time.After(statsInterval):
		case <-r.Context().Done():
			return
		}
	}
	exited := s.Engine.Exited(c)
	tick := time.NewTicker(statsInterval)
	defer tick.Stop()
	for {
		cur := s.sample(c)
		if err := enc.Encode(statsResponse(c, cur, pre)); err != nil || !stream || !cur.ok {
			return
		}
		pre = cur
		select {
		case <-tick.C:
		case <-exited:
			return
		case <-r.Context().Done():
			return
		}
	}
}
