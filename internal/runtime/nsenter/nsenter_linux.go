//go:build linux && cgo

package nsenter

// extern int geedocker_nsenter_joined;
import "C"

// Available says whether this binary has the constructor: it was built with cgo.
const Available = true

// Joined reports whether the constructor joined the namespaces asked for by Env in this
// process.
func Joined() bool { return C.geedocker_nsenter_joined != 0 }
