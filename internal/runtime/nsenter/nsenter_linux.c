//go:build linux && cgo

/*
 * The constructor of package nsenter: joins the namespaces of a running container, or a
 * container's init joins existing mount and user namespaces, before the Go runtime starts,
 * while the process has a single thread. The protocol is described in
 * doc.go.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_clone3
#define SYS_clone3 435 /* the same number on every architecture */
#endif

#define NSENTER_ENV "_GEEDOCKER_NSENTER"
#define INIT_ENV "_GEEDOCKER_NSENTER_INIT"

/* Set once the namespaces are joined; read by Joined in nsenter_linux.go. */
int geedocker_nsenter_joined;

/* struct clone_args of clone3(2), first version. */
struct nsenter_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

/* report writes the header (a pid, or -1 on failure) and the message, if any, in one write. */
static void report(int syncfd, int32_t pid, const char *msg)
{
	char buf[sizeof(int32_t) + 512];
	size_t len = sizeof pid;

	memcpy(buf, &pid, sizeof pid);
	if (msg != NULL) {
		size_t n = strlen(msg);
		if (n > sizeof buf - len)
			n = sizeof buf - len;
		memcpy(buf + len, msg, n);
		len += n;
	}
	while (write(syncfd, buf, len) < 0 && errno == EINTR)
		;
}

/* fail reports what failed, with errno, and ends the process. */
static void fail(int syncfd, const char *what)
{
	char msg[512];

	snprintf(msg, sizeof msg, "%s: %s", what, strerror(errno));
	report(syncfd, -1, msg);
	_exit(1);
}

/*
 * fork_into_pidns forks once with clone3(CLONE_PARENT), after the PID namespace of the
 * children changed: the child goes on, the parent reports the child's pid and exits.
 */
static void fork_into_pidns(int syncfd)
{
	/*
	 * CLONE_PARENT makes the child a child of our parent, which waits for it; clone3
	 * without a stack returns twice, like fork.
	 */
	struct nsenter_clone_args args = { .flags = CLONE_PARENT };
	int *tid = NULL;
	long pid;

	/*
	 * The C library caches the thread id in its thread descriptor, at the address it gave
	 * set_tid_address(2). fork() has the kernel write the child's id there; a raw clone
	 * does not, unless asked the same way.
	 */
	if (prctl(PR_GET_TID_ADDRESS, (unsigned long)&tid, 0, 0, 0) == 0 && tid != NULL) {
		args.flags |= CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID;
		args.child_tid = (uint64_t)(uintptr_t)tid;
	}
	pid = syscall(SYS_clone3, &args, sizeof args);
	if (pid < 0)
		fail(syncfd, "forking into the PID namespace of the container");
	if (pid > 0) {
		report(syncfd, (int32_t)pid, NULL);
		_exit(0);
	}
}

/*
 * join_init makes a container's init that joins an existing mount namespace, user namespace,
 * or both, in runc's order: the mount namespace first, while the process is still the
 * host's root, then the user namespace, whose root it becomes. Then it makes the container's
 * new namespaces, which so belong to the joined user namespace. See doc.go.
 */
static void join_init(const char *value)
{
	unsigned long flags;
	int mntnsfd, usernsfd, syncfd, n = 0;

	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (sscanf(value, "%lu:%d:%d:%d%n", &flags, &mntnsfd, &usernsfd, &syncfd, &n) != 4 ||
	    value[n] != '\0') {
		fprintf(stderr, "%s: bad value %s\n", INIT_ENV, value);
		_exit(1);
	}
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
		fail(syncfd, "making the process not dumpable");
	if (mntnsfd >= 0) {
		/*
		 * The kernel refuses this to a process with other threads or sharing its fs_struct
		 * (CLONE_FS): this one was forked without it and has one thread yet. It moves the
		 * root and working directory to the root of the namespace.
		 */
		if (setns(mntnsfd, CLONE_NEWNS) < 0)
			fail(syncfd, "joining the mount namespace");
		close(mntnsfd);
	}
	if (usernsfd >= 0) {
		if (setns(usernsfd, CLONE_NEWUSER) < 0)
			fail(syncfd, "joining the user namespace");
		close(usernsfd);
		/* Root of the joined namespace, as runc's init is; the command's user comes later. */
		if (setresgid(0, 0, 0) < 0)
			fail(syncfd, "becoming root (gid 0) of the joined user namespace");
		if (setresuid(0, 0, 0) < 0)
			fail(syncfd, "becoming root (uid 0) of the joined user namespace");
		if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
			fail(syncfd, "making the process not dumpable");
	}
	if (flags != 0 && unshare((int)flags) < 0)
		fail(syncfd, "creating the container's namespaces");
	if (flags & CLONE_NEWPID)
		fork_into_pidns(syncfd);
	else
		report(syncfd, (int32_t)getpid(), NULL);
	geedocker_nsenter_joined = 1;
}

__attribute__((constructor)) static void nsenter(void)
{
	const char *value = getenv(NSENTER_ENV);
	unsigned long flags;
	int pidfd, syncfd, n = 0;

	if (value == NULL) {
		value = getenv(INIT_ENV);
		if (value != NULL)
			join_init(value);
		return;
	}
	/* Before anything of the container can see this process. execve undoes it. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (sscanf(value, "%lu:%d:%d%n", &flags, &pidfd, &syncfd, &n) != 3 || value[n] != '\0') {
		fprintf(stderr, "%s: bad value %s\n", NSENTER_ENV, value);
		_exit(1);
	}
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
		fail(syncfd, "making the process not dumpable");

	/* All at once, in the kernel's order; the mount namespace moves root and cwd to its root. */
	if (setns(pidfd, (int)flags) < 0)
		fail(syncfd, "joining the namespaces of the container process");
	close(pidfd);

	if (flags & CLONE_NEWPID)
		fork_into_pidns(syncfd);
	else
		report(syncfd, (int32_t)getpid(), NULL);
	geedocker_nsenter_joined = 1;
}
