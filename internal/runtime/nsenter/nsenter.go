package nsenter

import "strconv"

// Env is the name of the environment variable that asks the constructor to join namespaces.
const Env = "_GEEDOCKER_NSENTER"

// Value is the value of Env for joining the namespaces flags (CLONE_NEW* flags) of the
// process pidfd refers to, reporting on syncfd. Both descriptors must be open, without
// close-on-exec, in the process that is started.
func Value(flags uintptr, pidfd, syncfd int) string {
	return strconv.FormatUint(uint64(flags), 10) + ":" + strconv.Itoa(pidfd) + ":" + strconv.Itoa(syncfd)
}

// InitEnv is the name of the environment variable that asks the constructor to make a
// container's init that joins an existing mount or user namespace (or both).
const InitEnv = "_GEEDOCKER_NSENTER_INIT"

// InitValue is the value of InitEnv for joining the mount namespace mntnsfd refers to and the
// user namespace usernsfd refers to (either may be -1: not joined), then creating the
// namespaces flags (CLONE_NEW* flags), reporting on syncfd. The descriptors must be open,
// without close-on-exec, in the process that is started.
func InitValue(flags uintptr, mntnsfd, usernsfd, syncfd int) string {
	return strconv.FormatUint(uint64(flags), 10) + ":" + strconv.Itoa(mntnsfd) + ":" + strconv.Itoa(usernsfd) + ":" + strconv.Itoa(syncfd)
}
