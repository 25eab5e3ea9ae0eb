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

// UserEnv is the name of the environment variable that asks the constructor to make a
// container's init that joins an existing user namespace.
const UserEnv = "_GEEDOCKER_NSENTER_USERNS"

// UserValue is the value of UserEnv for joining the user namespace usernsfd refers to, then
// creating the namespaces flags (CLONE_NEW* flags) in it, reporting on syncfd. Both
// descriptors must be open, without close-on-exec, in the process that is started.
func UserValue(flags uintptr, usernsfd, syncfd int) string {
	return strconv.FormatUint(uint64(flags), 10) + ":" + strconv.Itoa(usernsfd) + ":" + strconv.Itoa(syncfd)
}
