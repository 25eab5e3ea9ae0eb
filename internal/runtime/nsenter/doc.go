// Package nsenter lets a process of this binary join the namespaces of a running container,
// or an existing mount or user namespace, before the Go runtime starts. It is imported for
// its side effect by package runtime, whose Exec uses it, and whose Start uses it for an init
// that joins a mount or user namespace; on its own it does nothing unless the environment
// asks for it.
//
// # Why C
//
// setns(2) into a mount namespace is refused to a process with more than one thread, and a
// Go program has several threads before its main function runs. So, like runc's nsenter,
// the work is done by a C constructor (nsenter_linux.c) that the C library runs before
// handing over to the Go runtime, while the process still has one thread. It needs a binary
// built with cgo; without cgo the package only reports that it is not Available.
//
// # Protocol
//
// The constructor acts only when the environment variable named by Env is set, to
// "<flags>:<pidfd>:<syncfd>" (see Value): flags are the CLONE_NEW* flags of the namespaces
// to join, pidfd a pidfd of a process of the container, syncfd the write end of a pipe to
// the parent. It then:
//
//  1. makes the process not dumpable, so that nothing in the container can open its
//     /proc/<pid>/exe (our binary, CVE-2019-5736) or its memory until execve;
//  2. joins all the namespaces at once with setns(pidfd, flags) (Linux 5.8), which also sets
//     the root and working directory to the root of the container's mount namespace, and
//     closes the pidfd;
//  3. when flags include CLONE_NEWPID, which moves only children into the PID namespace,
//     forks once with clone3(CLONE_PARENT): the child belongs to the container's PID
//     namespace and is a child of the parent that started this process, so the parent can
//     wait for it. The fork's parent exits at once. (Like fork(), the clone has the kernel
//     write the child's thread id into the C library's thread descriptor, which the Go
//     runtime's calls into pthreads rely on.)
//  4. writes on syncfd, as a native-endian int32, the pid (in the parent's PID namespace) of
//     the process that goes on, and returns: the Go runtime starts, in all the namespaces.
//
// When a step fails it writes -1 followed by a one-line message instead, and exits with
// status 1. Joined tells the Go code of the process that went on that the constructor did
// its work.
//
// # Joining a mount or user namespace: a container's init
//
// A container's init whose spec joins an existing mount namespace or user namespace (a path
// in the spec) is started with InitEnv set instead, to
// "<flags>:<mntnsfd>:<usernsfd>:<syncfd>" (see InitValue; -1 for a namespace not joined).
// Like runc's nsenter, the constructor then makes the process not dumpable, joins the mount
// namespace of mntnsfd with setns(2) (which needs the single thread, and an fs_struct not
// shared with another process: the init was forked without CLONE_FS), then the user
// namespace of usernsfd, becomes its root (setresgid and setresuid to 0, which must be
// mapped), and creates the container's new namespaces (flags) with unshare(2), so that they
// belong to the joined user namespace and the init has privilege over them; with
// CLONE_NEWPID it forks as in step 3 above. It reports on syncfd as in step 4.
package nsenter
