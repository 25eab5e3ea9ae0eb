package spec

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Ulimit is one --ulimit: a resource limit by Docker's name ("nofile"), soft and hard;
// -1 is unlimited (RLIM_INFINITY).
type Ulimit struct {
	Name string `json:"Name"`
	Hard int64  `json:"Hard"`
	Soft int64  `json:"Soft"`
}

// ulimitNames maps Docker's --ulimit names to the rlimit types of the spec.
var ulimitNames = map[string]string{
	"core":       "RLIMIT_CORE",
	"cpu":        "RLIMIT_CPU",
	"data":       "RLIMIT_DATA",
	"fsize":      "RLIMIT_FSIZE",
	"locks":      "RLIMIT_LOCKS",
	"memlock":    "RLIMIT_MEMLOCK",
	"msgqueue":   "RLIMIT_MSGQUEUE",
	"nice":       "RLIMIT_NICE",
	"nofile":     "RLIMIT_NOFILE",
	"nproc":      "RLIMIT_NPROC",
	"rss":        "RLIMIT_RSS",
	"rtprio":     "RLIMIT_RTPRIO",
	"rttime":     "RLIMIT_RTTIME",
	"sigpending": "RLIMIT_SIGPENDING",
	"stack":      "RLIMIT_STACK",
}

// ParseUlimit parses a --ulimit value, "NAME=SOFT[:HARD]" (HARD defaults to SOFT; -1 is
// unlimited), with the Docker CLI's checks and words.
func ParseUlimit(val string) (Ulimit, error) {
	name, limits, ok := strings.Cut(val, "=")
	if !ok {
		return Ulimit{}, fmt.Errorf("invalid ulimit argument: %s", val)
	}
	if _, known := ulimitNames[name]; !known {
		return Ulimit{}, fmt.Errorf("invalid ulimit type: %s", name)
	}
	parts := strings.Split(limits, ":")
	if len(parts) > 2 {
		return Ulimit{}, fmt.Errorf("too many limit value arguments - %s, can only have up to two, `soft[:hard]`", limits)
	}
	soft, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil {
		return Ulimit{}, err
	}
	hard := soft
	if len(parts) == 2 {
		if hard, err = strconv.ParseInt(parts[1], 10, 64); err != nil {
			return Ulimit{}, err
		}
	}
	u := Ulimit{Name: name, Soft: soft, Hard: hard}
	return u, u.Validate()
}

// Validate checks a limit, from the command line or from the Engine API, with the words
// of Docker's go-units: a known name, and a soft limit no higher than the hard one, where
// -1 is unlimited (an unlimited soft limit needs an unlimited hard one). A value below -1,
// which Docker hands the kernel as a huge unsigned number, is refused.
func (u Ulimit) Validate() error {
	if _, known := ulimitNames[u.Name]; !known {
		return fmt.Errorf("invalid ulimit type: %s", u.Name)
	}
	for _, v := range []int64{u.Soft, u.Hard} {
		if v < -1 {
			return fmt.Errorf("invalid ulimit value for %s: %d (-1 is unlimited)", u.Name, v)
		}
	}
	if u.Hard != -1 {
		if u.Soft == -1 {
			return fmt.Errorf("ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: %d", u.Hard)
		}
		if u.Soft > u.Hard {
			return fmt.Errorf("ulimit soft limit must be less than or equal to hard limit: %d > %d", u.Soft, u.Hard)
		}
	}
	return nil
}

// rlimits are the process's resource limits: the default RLIMIT_NOFILE, then the
// --ulimit values, each replacing an earlier one of its type.
func rlimits(ulimits []Ulimit) ([]specs.POSIXRlimit, error) {
	out := []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: defaultNofile, Soft: defaultNofile}}
	for _, u := range ulimits {
		if err := u.Validate(); err != nil {
			return nil, err
		}
		typ := ulimitNames[u.Name]
		rl := specs.POSIXRlimit{Type: typ, Soft: rlimitValue(u.Soft), Hard: rlimitValue(u.Hard)}
		replaced := false
		for i := range out {
			if out[i].Type == typ {
				out[i], replaced = rl, true
			}
		}
		if !replaced {
			out = append(out, rl)
		}
	}
	return out, nil
}

// rlimitValue is a limit as the kernel takes it: -1 is RLIM_INFINITY.
func rlimitValue(v int64) uint64 {
	if v < 0 {
		return math.MaxUint64
	}
	return uint64(v)
}

// ipcSysctls are the kernel.* sysctls of the IPC namespace (with fs.mqueue.*).
var ipcSysctls = map[string]bool{
	"kernel.msgmax": true, "kernel.msgmnb": true, "kernel.msgmni": true, "kernel.sem": true,
	"kernel.shmall": true, "kernel.shmmax": true, "kernel.shmmni": true, "kernel.shm_rmid_forced": true,
}

func isIPCSysctl(key string) bool { return ipcSysctls[key] || strings.HasPrefix(key, "fs.mqueue.") }

// ValidateSysctl checks a --sysctl "KEY=VALUE" as the Docker CLI does: only the sysctls of
// the network and IPC namespaces are allowed.
func ValidateSysctl(val string) (string, error) {
	key, _, ok := strings.Cut(val, "=")
	if ok && (isIPCSysctl(key) || strings.HasPrefix(key, "net.")) {
		return val, nil
	}
	return "", fmt.Errorf("sysctl '%s' is not allowed", val)
}

// checkSysctls refuses the sysctls that would change the host: those of a namespace the
// container shares with the host, and those of no namespace (runc's words).
func checkSysctls(sysctls map[string]string, hostNet, hostIPC bool) error {
	keys := make([]string, 0, len(sysctls))
	for k := range sysctls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch {
		case isIPCSysctl(k):
			if hostIPC {
				return fmt.Errorf("sysctl %q is not allowed in the hosts ipc namespace", k)
			}
		case strings.HasPrefix(k, "net."):
			if hostNet {
				return fmt.Errorf("sysctl %q not allowed in host network namespace", k)
			}
		default:
			return fmt.Errorf("sysctl %q is not in a separate kernel namespace", k)
		}
	}
	return nil
}

// Namespace modes of --pid, --ipc, --uts and --cgroupns.
const (
	ModeHost      = "host"
	ModePrivate   = "private"
	ModeShareable = "shareable"
	ModeNone      = "none"
	// ContainerPrefix starts "container:NAME", the namespace of another container, which
	// the engine joins when the container starts.
	ContainerPrefix = "container:"
)

// CheckPidMode checks a --pid value: "", "host" or "container:NAME".
func CheckPidMode(m string) error {
	if m == "" || m == ModeHost || isContainerMode(m) {
		return nil
	}
	return fmt.Errorf("invalid PID mode: %v", m)
}

// CheckIpcMode checks an --ipc value: "", "private", "shareable", "host", "none" or
// "container:NAME".
func CheckIpcMode(m string) error {
	switch m {
	case "", ModePrivate, ModeShareable, ModeHost, ModeNone:
		return nil
	}
	if isContainerMode(m) {
		return nil
	}
	return fmt.Errorf("invalid IPC mode: %v", m)
}

// CheckUTSMode checks a --uts value: "" or "host".
func CheckUTSMode(m string) error {
	if m == "" || m == ModeHost {
		return nil
	}
	return fmt.Errorf("invalid UTS mode: %v", m)
}

// CheckCgroupnsMode checks a --cgroupns value: "", "host" or "private".
func CheckCgroupnsMode(m string) error {
	if m == "" || m == ModeHost || m == ModePrivate {
		return nil
	}
	return fmt.Errorf("invalid cgroup namespace mode: %v", m)
}

func isContainerMode(m string) bool {
	name, ok := strings.CutPrefix(m, ContainerPrefix)
	return ok && name != ""
}

// shmMount is the /dev/shm of the container, or false for none (--ipc none): a tmpfs of
// ShmSize (Docker's 64 MiB by default) for a namespace of its own, the host's /dev/shm with
// --ipc host. With --ipc container:NAME the engine binds the other container's at start.
func shmMount(o Options, m specs.Mount) (specs.Mount, bool) {
	switch {
	case o.IpcMode == ModeNone:
		return m, false
	case o.IpcMode == ModeHost:
		return specs.Mount{Destination: "/dev/shm", Type: "bind", Source: "/dev/shm", Options: []string{"rbind", "nosuid", "noexec", "nodev", defaultPropagation}}, true
	case o.ShmSize > 0:
		m.Options = []string{"nosuid", "noexec", "nodev", "mode=1777", "size=" + strconv.FormatInt(o.ShmSize, 10)}
	}
	return m, true
}

// DefaultShmSize is the size of /dev/shm when --shm-size is not given, as in Docker.
const DefaultShmSize = 64 * 1024 * 1024

// checkHostOptions checks the options of this file.
func checkHostOptions(o Options) error {
	if o.ShmSize < 0 {
		return fmt.Errorf("SHM size can not be less than 0")
	}
	if err := CheckIpcMode(o.IpcMode); err != nil {
		return err
	}
	if err := CheckPidMode(o.PidMode); err != nil {
		return err
	}
	if err := CheckUTSMode(o.UTSMode); err != nil {
		return err
	}
	if err := CheckCgroupnsMode(o.CgroupnsMode); err != nil {
		return err
	}
	if o.UTSMode == ModeHost && o.Hostname != "" {
		return fmt.Errorf("conflicting options: hostname and the UTS mode")
	}
	if o.OomScoreAdj < -1000 || o.OomScoreAdj > 1000 {
		return fmt.Errorf("Invalid value %d, range for oom score adj is [-1000, 1000]", o.OomScoreAdj)
	}
	return nil
}
