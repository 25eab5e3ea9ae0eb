// Package runtime runs a container from an OCI runtime spec, the way runc does, in Go.
//
// # Lifecycle
//
// Start re-executes the running binary (/proc/self/exe) with argv[0] "geedocker-init",
// cloned into the new namespaces of the spec (all but the cgroup namespace) and in a new
// session. The main function of the binary calls Init first thing; in the re-executed
// process Init becomes the container's init:
//
//	parent (Start)                          init (Init, on its locked main thread)
//	clone(CLONE_NEW*) ------------------->  Go runtime starts, blocks reading fd 3
//	Cgroup.Add(pid)
//	config JSON on fd 3 ----------------->  reads config: it is in its cgroup now
//	                                        setns for joined namespaces; unshare(CLONE_NEWCGROUP)
//	                                        mount / rprivate; RootfsMounts (e.g. overlay) on the root
//	                                        bind the root on itself; spec mounts; device nodes;
//	                                        /dev symlinks; /dev/console; sysctls;
//	                                        read-only and masked paths
//	                                        pivot_root, old root detached
//	                                        read-only root; hostname; rlimits; user from /etc/passwd;
//	                                        no_new_privs; fds >2 close-on-exec; capabilities;
//	                                        setgroups/setgid/setuid; chdir; look the command up
//	reads fd 4 until EOF <---------------   execve: fd 4 (close-on-exec) closes with nothing said,
//	returns Process                         or the init writes what failed on it and exits
//
// The command therefore runs as PID 1 of the container, and the parent waits for it like
// for any child (Process.Wait).
//
// # Boundary
//
// Every mount exists only in the container's mount namespace and goes away with its last
// process. Every path of the container is resolved inside the rootfs with openat2
// (RESOLVE_IN_ROOT) and mounted on through /proc/self/fd, so symlinks planted by an image
// cannot send a mount, a device node or the working directory to the host. The init is not
// dumpable until execve, so /proc/<pid>/exe of the engine binary cannot be opened from the
// container (CVE-2019-5736); its own descriptors are closed or close-on-exec, and the working
// directory is checked to be inside the new root (CVE-2024-21626).
//
// Not supported: user namespaces, seccomp, AppArmor and SELinux labels, hooks; joining an
// existing namespace works for network, IPC and UTS only.
package runtime
