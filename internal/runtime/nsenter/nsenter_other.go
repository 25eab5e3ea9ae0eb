//go:build !linux || !cgo

package nsenter

// Available says whether this binary has the constructor: it was built with cgo.
const Available = false

// Joined reports whether the constructor joined the namespaces asked for by Env in this
// process: never, without cgo.
func Joined() bool { return false }
