//go:build !linux

package holder

// watchDNS needs Linux: nothing is watched.
func (h *holder) watchDNS(dir string) (stop func()) { return func() {} }
