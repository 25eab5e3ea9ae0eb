// Package cgroups puts a container's processes into a control group, sets its
// resource limits and reads them back, on cgroup v1 and on cgroup v2, with the
// cgroupfs layout (no systemd).
//
// # Layout
//
// Every container gets one cgroup named after it under a shared parent,
// "geedocker" by default:
//
//	v1 (Legacy, Hybrid)  /sys/fs/cgroup/<controller>/geedocker/<name>  for each mounted controller
//	v2 (Unified)         /sys/fs/cgroup/geedocker/<name>
//
// Either way [Manager.Path] is "/geedocker/<name>", the path a container's
// /proc/self/cgroup shows when read from the host. The root (/sys/fs/cgroup)
// is injectable through [Opts], so tests run against a fake tree in a temp dir.
//
// # Describe, then apply
//
// [Describe] turns a runtime-spec [specs.LinuxResources] into the list of
// control-file writes for a cgroup version ([Setting]), in the order the kernel
// needs them, the way runc and Docker translate `docker run` flags:
//
//	--cpus=1.5        v1 cpu.cfs_period_us=100000, cpu.cfs_quota_us=150000   v2 cpu.max="150000 100000"
//	--cpu-shares=N    v1 cpu.shares=N                                         v2 cpu.weight=1+((N-2)*9999)/262142
//	--cpuset-cpus     v1 cpuset.cpus                                          v2 cpuset.cpus
//	--memory=M        v1 memory.limit_in_bytes=M                              v2 memory.max=M
//	--memory-swap=S   v1 memory.memsw.limit_in_bytes=S (if swap accounting)   v2 memory.swap.max=S-M
//	--pids-limit=P    v1 pids.max=P                                           v2 pids.max=P
//	device rules      v1 devices.deny / devices.allow                         v2 an eBPF program, see below
//
// The Linux-only managers then apply that list: nothing else decides values.
//
// # Devices
//
// On v1 the device rules are written in order to devices.deny and
// devices.allow, and the kernel keeps the result: a default (allow or deny
// all) and a list of exceptions. v2 has no such files; a program of type
// BPF_PROG_TYPE_CGROUP_DEVICE attached to the cgroup decides instead. So
// [NewDeviceFilter] computes, in pure Go, what v1 would hold after the same
// writes ([DeviceFilter], whose Allows is the kernel's v1 check), and
// [DeviceProgram] compiles that filter into a program that answers the same
// for every device and access; tests run the program's instructions against
// Allows. The v2 manager's Create attaches it (BPF_PROG_ATTACH with
// BPF_F_ALLOW_MULTI, replacing a program an earlier Create attached) before
// any process joins; no program is attached when the rules allow everything
// (--privileged). The kernel detaches and frees it when Destroy removes the
// cgroup.
//
// # Lifecycle
//
// A container's cgroup lives through these calls, in this order:
//
//  1. [New] picks the v1 or v2 manager for the mode [Detect] reported.
//  2. Create makes the directories (on v2 it first enables the controllers in
//     cgroup.subtree_control of the root and of the parent; on v1 it first
//     copies cpuset.cpus and cpuset.mems down into the new directories, since
//     an empty cpuset refuses tasks) and writes the limits. It is idempotent.
//     If it fails, the caller still calls Destroy.
//  3. Add moves the container's init into the cgroup before it execs the
//     user's command; its children inherit the cgroup.
//  4. Stats, Procs and OOMKilled read the cgroup while the container runs and
//     after it exited (OOMKilled must be read before Destroy). Freeze, Thaw and
//     Frozen stop, restart and report its processes (v1 freezer.state, v2
//     cgroup.freeze and cgroup.events): `pause`, `commit` and the OCI runtime's
//     pause and resume use them.
//  5. Kill sends SIGKILL to everything left (v2 cgroup.kill when the kernel
//     has it, otherwise freeze, signal every pid, thaw) and waits until the
//     cgroup is empty. Killed processes that are children of the caller
//     must be reaped by the caller before Destroy, or the kernel keeps
//     the cgroup busy.
//  6. Destroy removes the directories, retrying briefly while dying processes
//     leave; it is idempotent and returns nil when nothing is left. The shared
//     parent is kept for the other containers.
package cgroups
