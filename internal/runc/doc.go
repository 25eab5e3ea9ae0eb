// Package runc is an OCI runtime with runc's lifecycle, on top of package runtime: create
// (the init is set up and waits at its start gate), start, state, kill, delete, exec, ps,
// pause and resume, for containers whose OCI bundle (config.json and its root) is on disk.
// The command line (package runccli) is thin glue over it.
//
// # Lifecycle
//
//	create:  read <bundle>/config.json; make <root>/<id>; make the cgroup of linux.cgroupsPath
//	         (default /<id>); runtime.Start with a start gate <root>/<id>/exec.fifo; once the
//	         init exists: state.json, prestart and createRuntime hooks; the init does all its
//	         setup (running the createContainer hooks before pivot_root) and waits at the gate;
//	         create returns, the init stays behind (the caller, a shim that is a subreaper,
//	         becomes its parent)
//	start:   release the gate (the init runs the startContainer hooks and executes the
//	         command); poststart hooks
//	delete:  SIGKILL what is left, wait for the init to exit, remove the cgroup, detach the
//	         mounts of a container without a mount namespace (runtime.DetachSharedRootfs),
//	         poststop hooks, remove <root>/<id>
//
// The status is never stored: it is read from the init (alive, with the start time recorded
// at create), the gate (still there: created) and the freezer (paused).
//
// Not done: systemd cgroups; checkpoint/restore.
package runc
