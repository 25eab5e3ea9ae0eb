package api

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	ctypes "github.com/moby/moby/api/types/container"
)

// topResponse lists processes as `ps -ef` columns, as Docker does by default.
func topResponse(pids []int, users map[uint32]string) ctypes.TopResponse {
	out := ctypes.TopResponse{Titles: []string{"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"}, Processes: [][]string{}}
	for _, pid := range pids {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue // gone meanwhile
		}
		// The fields after the command's name in parentheses.
		rest := string(stat)
		if i := strings.LastIndexByte(rest, ')'); i >= 0 {
			rest = rest[i+1:]
		}
		f := strings.Fields(rest)
		ppid := "?"
		if len(f) > 1 {
			ppid = f[1]
		}
		uid := "?"
		if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
			for _, l := range strings.Split(string(st), "\n") {
				if v, ok := strings.CutPrefix(l, "Uid:"); ok {
					if fs := strings.Fields(v); len(fs) > 0 {
						uid = fs[0]
						if n, err := strconv.ParseUint(uid, 10, 32); err == nil && users[uint32(n)] != "" {
							uid = users[uint32(n)]
						}
					}
				}
			}
		}
		cmd := ""
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil {
			cmd = strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
		}
		out.Processes = append(out.Processes, []string{uid, strconv.Itoa(pid), ppid, "0", "-", "?", "-", cmd})
	}
	return out
}
