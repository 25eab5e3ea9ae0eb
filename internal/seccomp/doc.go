// Package seccomp turns a seccomp profile into the BPF program a container process installs
// before it executes its command.
//
// The flow, Docker's and runc's:
//
//	Docker's JSON profile ──Load/Default(spec)──▶ *specs.LinuxSeccomp ──Compile──▶ Program
//	(moby/profiles/seccomp v0.3.0)                 (in the container's spec)        (raw BPF)
//	                                                                     ──Install (init)──▶ kernel
//
// Load and Default evaluate a profile for a container with github.com/moby/profiles/seccomp:
// the rules that depend on the container's capabilities (with CAP_SYS_ADMIN, mount and
// unshare are allowed), on the architecture and on the kernel version are kept or dropped.
// The result is the OCI form that lives in the container's spec, so a restart and an exec use
// the same rules as the first start.
//
// Compile renders the OCI form with libseccomp (cgo, linked statically): each rule with its
// argument conditions (clone flags with masked-equal, socket families and personality values
// with equality); rules naming the same argument twice become one rule per condition (OR),
// as runc does. The action and errno of every rule and of the default (defaultErrnoRet) are
// the profile's. Ahead of libseccomp's program comes a short stub, like runc's patchbpf:
// on each architecture of the profile, a system call numbered above the highest one the
// profile names fails with ENOSYS, so a program probing for a system call newer than the
// profile falls back as on an older kernel (x32 numbers, which carry bit 30, are compared
// with the highest x32 number). Without cgo Compile returns ErrNoCgo.
//
// Install (Linux, pure Go) loads a Program into the calling thread with seccomp(2). The
// runtime calls it in the container's init and in an exec'd process right before execve (or,
// without no_new_privs, before the capabilities are dropped, since installing a filter needs
// CAP_SYS_ADMIN or no_new_privs); the filter is inherited by every child.
package seccomp
