package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/geedocker/geedocker/internal/engine"
	"github.com/geedocker/geedocker/internal/spec"
)

// addHostFlags adds the flags of `docker run` (and `create`) that shape the namespaces, the
// process limits and the cgroup beyond the basic ones.
func addHostFlags(f *pflag.FlagSet, o *runFlags) {
	f.Var(&o.ulimits, "ulimit", "Ulimit options")
	f.Var(&o.shmSize, "shm-size", "Size of /dev/shm")
	f.Var(newCheckedList(&o.sysctls, spec.ValidateSysctl), "sysctl", "Sysctl options")
	f.StringArrayVar(&o.groupAdd, "group-add", nil, "Add additional groups to join")
	f.StringVar(&o.pid, "pid", "", "PID namespace to use")
	f.StringVar(&o.ipc, "ipc", "", "IPC mode to use")
	f.StringVar(&o.uts, "uts", "", "UTS namespace to use")
	f.StringVar(&o.cgroupns, "cgroupns", "", `Cgroup namespace to use (host|private)
'host':    Run the container in the host's cgroup namespace
'private': Run the container in its own private cgroup namespace
'':        private on cgroup v2, host on cgroup v1, as Docker (default)`)
	f.Var(&o.memoryReservation, "memory-reservation", "Memory soft limit")
	f.Int64Var(&o.cpuQuota, "cpu-quota", 0, "Limit CPU CFS (Completely Fair Scheduler) quota")
	f.Int64Var(&o.cpuPeriod, "cpu-period", 0, "Limit CPU CFS (Completely Fair Scheduler) period")
	f.Uint16Var(&o.blkioWeight, "blkio-weight", 0, "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)")
	f.BoolVar(&o.oomKillDisable, "oom-kill-disable", false, "Disable OOM Killer")
	f.IntVar(&o.oomScoreAdj, "oom-score-adj", 0, "Tune host's OOM preferences (-1000 to 1000)")
}

// checkNamespaceFlags refuses a bad --pid, --uts or --cgroupns as the Docker CLI does,
// before anything else (--ipc is checked by the engine, as by dockerd).
func (o *runFlags) checkNamespaceFlags() error {
	switch {
	case spec.CheckPidMode(o.pid) != nil:
		return flagError{errors.New("--pid: invalid PID mode")}
	case spec.CheckUTSMode(o.uts) != nil:
		return flagError{errors.New("--uts: invalid UTS mode")}
	case spec.CheckCgroupnsMode(o.cgroupns) != nil:
		return flagError{errors.New("--cgroupns: invalid CGROUP mode")}
	}
	return nil
}

// hostOptions fills in so what the flags of addHostFlags ask for.
func (o *runFlags) hostOptions(so *spec.Options) {
	so.Ulimits = o.ulimits.list
	so.ShmSize = o.shmSize.n
	if len(o.sysctls) > 0 {
		so.Sysctls = map[string]string{}
		for _, kv := range o.sysctls {
			k, v, _ := strings.Cut(kv, "=")
			so.Sysctls[k] = v
		}
	}
	so.PidMode, so.IpcMode, so.UTSMode, so.CgroupnsMode = o.pid, o.ipc, o.uts, o.cgroupns
	so.OomScoreAdj = o.oomScoreAdj
	so.Resources.MemoryReservation = o.memoryReservation.n
	so.Resources.CPUQuota, so.Resources.CPUPeriod = o.cpuQuota, o.cpuPeriod
	so.Resources.BlkioWeight = o.blkioWeight
	so.Resources.OomKillDisable = o.oomKillDisable
}

// hostRunOptions fills in ro what the flags of addHostFlags ask of the engine beyond the
// spec: the --group-add names, and where Docker's warnings go.
func (o *runFlags) hostRunOptions(ro *engine.RunOptions, g *globals) {
	ro.GroupAdd = o.groupAdd
	ro.Warn = printWarning(g)
}

// ulimitFlag is --ulimit: repeatable, a later value for the same name replacing the
// earlier one, as Docker's.
type ulimitFlag struct{ list []spec.Ulimit }

func (u *ulimitFlag) Set(s string) error {
	l, err := spec.ParseUlimit(s)
	if err != nil {
		return err
	}
	for i := range u.list {
		if u.list[i].Name == l.Name {
			u.list[i] = l
			return nil
		}
	}
	u.list = append(u.list, l)
	return nil
}

func (u *ulimitFlag) String() string {
	var out []string
	for _, l := range u.list {
		out = append(out, fmt.Sprintf("%s=%d:%d", l.Name, l.Soft, l.Hard))
	}
	return "[" + strings.Join(out, " ") + "]"
}

func (u *ulimitFlag) Type() string { return "ulimit" }

// printWarning returns what prints the engine's warnings as Docker's CLI prints those of
// the daemon: "WARNING: ..." on stderr.
func printWarning(g *globals) func(string) {
	return func(w string) { fmt.Fprintln(g.stderr, "WARNING:", w) }
}
