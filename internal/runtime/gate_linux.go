package runtime

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// ErrNotWaiting is returned by ReleaseStartGate when no init waits at the gate: it was
// released already, or its init is gone.
var ErrNotWaiting = errors.New("no container init waits at the start gate")

// OpenStartGate makes the FIFO at path (which must not exist) and opens it for reading and
// writing, for Config.StartGate. Opening a FIFO that way never blocks; the init holding it
// is the reader ReleaseStartGate needs.
func OpenStartGate(path string) (*os.File, error) {
	if err := unix.Mkfifo(path, 0o600); err != nil {
		return nil, fmt.Errorf("making start gate %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("opening start gate %s: %w", path, err)
	}
	return f, nil
}

// ReleaseStartGate lets the init waiting at the FIFO at path execute its command, and removes
// the FIFO. It does not wait for the command to start.
func ReleaseStartGate(path string) error {
	// Non-blocking: with no reader left (the init died), the open fails with ENXIO instead
	// of hanging.
	f, err := os.OpenFile(path, os.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENXIO) || errors.Is(err, os.ErrNotExist) {
		os.Remove(path)
		return ErrNotWaiting
	}
	if err != nil {
		return fmt.Errorf("opening start gate %s: %w", path, err)
	}
	defer f.Close()
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("removing start gate %s: %w", path, err)
	}
	if _, err := f.Write([]byte{0}); err != nil {
		return fmt.Errorf("releasing start gate %s: %w", path, err)
	}
	return nil
}
