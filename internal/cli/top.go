package cli

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

func parseNonNegative(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid number %q: must be a non-negative integer", s)
	}
	return n, nil
}

// newTopCmd is `top`: the container's processes as seen from the host.
func newTopCmd(g *globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "top CONTAINER [ps OPTIONS]",
		Short: "Display the running processes of a container",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			ct, err := e.Container(args[0])
			if err != nil {
				return err
			}
			pids, err := e.Procs(ct)
			if err != nil {
				return err
			}
			if len(args) > 1 {
				titles, rows, err := hostPSTable(args[1:], pids)
				if err != nil {
					return err
				}
				tw := newTable(g.stdout)
				fmt.Fprintln(tw, strings.Join(titles, "\t"))
				for _, r := range rows {
					fmt.Fprintln(tw, strings.Join(r, "\t"))
				}
				return tw.Flush()
			}
			names, _ := e.UserNames(ct) // no passwd file: uids
			tw := newTable(g.stdout)
			fmt.Fprintln(tw, "UID\tPID\tPPID\tC\tSTIME\tTTY\tTIME\tCMD")
			for _, pid := range pids {
				p, ok := readProc(pid)
				if !ok {
					continue
				}
				user := strconv.Itoa(p.uid)
				if name, ok := names[uint32(p.uid)]; ok {
					user = name
				}
				fmt.Fprintf(tw, "%s\t%d\t%d\t0\t%s\t%s\t%s\t%s\n", user, pid, p.ppid, p.stime, "?", p.cputime, p.cmd)
			}
			return tw.Flush()
		},
	}
	c.Flags().SetInterspersed(false) // what follows the container is ps's
	return c
}

type procInfo struct {
	uid, ppid      int
	stime, cputime string
	cmd            string
}

func readProc(pid int) (procInfo, bool) {
	var p procInfo
	dir := "/proc/" + strconv.Itoa(pid)
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return p, false
	}
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return p, false
	}
	p.ppid, _ = strconv.Atoi(f[1])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	secs := (ut + st) / 100
	p.cputime = fmt.Sprintf("%02d:%02d:%02d", secs/3600, secs/60%60, secs%60)
	if fi, err := os.Stat(dir); err == nil {
		p.stime = fi.ModTime().Format("15:04")
	}
	if status, err := os.ReadFile(dir + "/status"); err == nil {
		for _, line := range strings.Split(string(status), "\n") {
			if v, ok := strings.CutPrefix(line, "Uid:"); ok {
				if fs := strings.Fields(v); len(fs) > 0 {
					p.uid, _ = strconv.Atoi(fs[0])
				}
			}
		}
	}
	cmdline, _ := os.ReadFile(dir + "/cmdline")
	p.cmd = strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " "))
	if p.cmd == "" {
		p.cmd = "[" + strings.Trim(s[strings.IndexByte(s, '(')+1:i], " ") + "]"
	}
	return p, true
}

func hostMemory() uint64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, _ := strconv.ParseUint(strings.Fields(v)[0], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// binarySize is Docker's BytesSize: "1.5MiB".
func binarySize(n uint64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	f := float64(n)
	i := 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	return fmt.Sprintf("%.4g%s", f, units[i])
}
