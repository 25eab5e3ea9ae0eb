// Package runtime runs a container from an OCI runtime spec, the way runc does, in Go.
//
// # Lifecycle
//
// Start re-executes the running binary, through its sealed view (see Boundary), with argv[0]
// "geedocker-init",
// cloned into the new namespaces of the spec (all but the cgroup namespace) and in a new
// session. The package's init function calls Init, before the packages this one does not
// import are initialized; in the re-executed process Init becomes the container's init:
//
//	parent (Start)                          init (Init, on its locked main thread)
//	clone(CLONE_NEW*) ------------------->  Go runtime starts, blocks reading fd 3
//	Cgroup.Add(pid)
//	config JSON on fd 3 ----------------->  reads config: it is in its cgroup now
//	                                        setns for joined namespaces; unshare(CLONE_NEWCGROUP)
//	                                        mount / rprivate; RootfsMounts (e.g. overlay) on the root
//	                                        bind the root on itself; spec mounts; device nodes;
//	                                        /dev symlinks; the terminal; sysctls;
//	                                        read-only and masked paths
//	                                        pivot_root, old root detached
//	                                        read-only root; hostname; rlimits; user from /etc/passwd;
//	                                        no_new_privs; fds >2 close-on-exec; seccomp filter
//	                                        (here without no_new_privs); capabilities;
//	                                        setgroups/setgid/setuid; chdir; look the command up;
//	                                        seccomp filter (here with no_new_privs)
//	reads fd 4 until EOF <---------------   execve: fd 4 (close-on-exec) closes with nothing said,
//	returns Process                         or the init writes what failed on it and exits
//
// The command therefore runs as PID 1 of the container, and the parent waits for it like
// for any child (Process.Wait).
//
// The descriptor numbers above are those without Config.PreserveFiles. With N preserved
// files (runc's --preserve-fds), they are the child's 3 to 3+N-1, the runtime's own come
// after them (config pipe 3+N, sync pipe 3+N+1, …; N is the child's argv[1]), and the
// preserved ones, close-on-exec during the setup, are opened again for the command alone
// once everything else is close-on-exec. The same holds for Exec.
//
// # Joined namespaces
//
// A namespace of the spec with a path is joined instead of created, as runc does: network,
// IPC, UTS and cgroup by the init with setns(2) (above), on descriptors the parent opened
// (a path may name nothing once the init is in a joined mount namespace); PID by a thread of
// the parent, thrown away, which enters it before forking the init; mount and user by the
// init's C constructor of package nsenter (see its doc), while the init still has one thread
// and an fs_struct of its own, as setns(2) of a mount or user namespace requires: it joins
// the mount namespace, then the user namespace, becomes its root, unshares the spec's new
// namespaces (so that they belong to that user namespace) and, with a new PID namespace,
// forks once with clone3(CLONE_PARENT); the parent reads the pid of the init on fd 4 before
// it adds it to the cgroup, and the init checks that the constructor ran before it does
// anything. The maps are the joined namespace's; the other namespaces it joins must belong to
// it (the kernel refuses others).
//
// In a joined mount namespace the init does what it does in a new one, as runc's does: / made
// private (or slave), the root (Spec.Root.Path, a path of that namespace) bound on itself, the
// spec's mounts, pivot_root, the old root detached. Every process of that namespace sees
// it, and pivot_root moves the root and working directory of those that were at the old
// root. So the runtime's own mount namespace is refused (the host's, often).
//
// A spec without a mount namespace shares the runtime's, as with runc: the init binds the
// root on itself there and makes that bind private (it leaves the propagation of / alone,
// where runc makes it a slave), makes the spec's mounts under it, and chroots instead of
// pivot_root. Those mounts outlive the init; DetachSharedRootfs, which the runc command line
// calls at delete, detaches the bind and everything below it. Exec refuses such a container
// (it shares the caller's mount namespace).
//
// # Terminal
//
// With Spec.Process.Terminal the init allocates the terminal in the container's own devpts,
// as runc does with its console socket (console_linux.go): once the spec's devpts is mounted
// at /dev/pts, it opens its ptmx (resolved inside the root, checked to be a devpts ptmx),
// opens the slave through the master, sets the spec's ConsoleSize, makes the slave its
// stdio, controlling terminal and /dev/console, and sends the master to the parent over a
// unix socket (SCM_RIGHTS): Process.Console. The command sees /dev/pts/0, as with Docker;
// with a user namespace the slave is made inside it, owned by the container's root. Before
// execve the slave is given to the command's user. A container without a devpts at
// /dev/pts gets a terminal of the host's devpts, allocated by the parent.
//
// # Exec
//
// Exec runs another process in a running container: in every namespace of the container's
// process that differs from the caller's, in its cgroup, with the user, capabilities,
// rlimits, environment and working directory of an OCI process. Joining a mount namespace
// needs a single-threaded process, which a Go program never is, so the namespaces are joined
// by the C constructor of package nsenter, before the Go runtime of the re-executed binary
// starts (argv[0] "geedocker-exec"; see nsenter's doc for its protocol):
//
//	parent (Exec)                 exec child (C constructor)       process (Go, Init)
//	pidfd_open(pid); compare
//	/proc/<pid>/ns/* with ours
//	start the sealed binary ----> not dumpable
//	(pidfd as fd 5)               setns(pidfd, all flags)
//	                              clone3(CLONE_PARENT) ----------> in the PID namespace too;
//	reads the pid on fd 4 <------ writes the pid, exits            a child of the parent
//	Cgroup.Add(pid)                                                Go runtime starts, blocks
//	config JSON on fd 3 -----------------------------------------> reads config: in the cgroup
//	                                                               setsid (and TIOCSCTTY);
//	                                                               then as the init: rlimits,
//	                                                               user, no_new_privs, fds,
//	                                                               capabilities, chdir, execve
//	reads fd 4 until EOF <---------------------------------------- (or the report of a failure)
//
// After setns the process's root and working directory are the root of the container's
// mount namespace: the container's root after pivot_root, so the user, the command and the
// working directory are all looked up inside the container. With a terminal, the
// pseudo-terminal comes from the container's own devpts (opened through /proc/<pid>/root,
// resolved inside that root, checked to be a devpts ptmx), so the process sees it as
// /dev/pts/N, as with Docker; a container without devpts gets one of the host's. In a
// container with a user namespace the parent gives the slave to the container's root (it
// made it as the host's root), and the process to its user.
//
// # Boundary
//
// Every mount exists only in the container's mount namespace and goes away with its last
// process (but for a spec without one, above). Every path of the container is resolved inside the rootfs with openat2
// (RESOLVE_IN_ROOT) and mounted on through /proc/self/fd, so symlinks planted by an image
// cannot send a mount, a device node or the working directory to the host. The init is not
// dumpable until execve, so /proc/<pid>/exe of the engine binary cannot be opened from the
// container while it works; its own descriptors are closed or close-on-exec, and the working
// directory is checked to be inside the new root (CVE-2024-21626).
//
// No process of the engine ever runs in a container from the host's binary (CVE-2019-5736):
// the init and the exec child are executed from a sealed view of it (sealed_linux.go), a
// read-only overlay that exists only as a descriptor, or else a sealed memfd copy. A container
// that gets the engine run inside it (an image's "#!/proc/self/exe" executed by exec) and
// holds its /proc/<pid>/exe can read that binary but never write it, whatever runs or is
// upgraded later. The --init of a container is the same sealed binary: the init executes
// itself (execveat) as /sbin/docker-init, so nothing of the engine is mounted in the container. The same holds for a
// process of Exec, which is not dumpable from the first instruction of its constructor and
// holds no descriptor of the engine beyond 0, 1 and 2 at execve.
//
// # Seccomp
//
// The spec's Linux.Seccomp (ExecConfig.Seccomp for Exec) is compiled to a BPF program by the
// parent (package seccomp, libseccomp; kept in Config.SeccompCacheDir) and sent in the config; the
// process installs it itself with seccomp(2), on the thread that calls execve, so the command
// and all its children run under it. Installing needs no_new_privs or CAP_SYS_ADMIN: with
// no_new_privs the filter goes in right before execve; without, before the capabilities are
// dropped, so the few system calls between (prctl, capset, setgroups, setresgid, setresuid,
// chdir, getcwd, stat, umask, execve) must be allowed by the profile, as with runc.
//
// # Created, not started
//
// With Config.StartGate (a FIFO, see OpenStartGate) the init does all of the above up to
// execve, then closes its sync pipe, so Start returns, and waits reading the gate; any
// process releases it with ReleaseStartGate (runc's create/start and its exec.fifo). The
// default path, without a gate, is unchanged.
//
// Config.ContainerHooks are run by the init itself, in the container's namespaces: the
// createContainer hooks once the mounts are made, before pivot_root; the startContainer hooks
// after the gate (or right before execve without one).
//
// A process's AppArmor profile is applied (at execve) when the host has AppArmor, and
// ignored otherwise, as runc does. Not supported: SELinux labels. Exec needs a binary built
// with cgo (ErrNoCgo otherwise) and Linux 5.8 (setns with a pidfd); joining an existing mount
// or user namespace needs cgo too.
package runtime
