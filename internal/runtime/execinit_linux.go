package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/geedocker/geedocker/internal/runtime/nsenter"
)

// execInContainer runs in the process Exec started (argv[0] "geedocker-exec") once the
// constructor of package nsenter has put it in the container's namespaces, before the Go
// runtime started: its root and working directory are the container's root. It returns only
// on failure: on success it becomes the command.
func execInContainer() error {
	if !nsenter.Joined() {
		// Never run the command in the host's namespaces.
		return errors.New("exec child is not in the container: the nsenter constructor did not run")
	}
	var cfg processConfig
	f := os.NewFile(uintptr(configFd), "exec-config")
	err := json.NewDecoder(f).Decode(&cfg)
	f.Close()
	if err != nil {
		return fmt.Errorf("reading exec config: %w", err)
	}
	// A session of its own, like the container's init; its terminal, if any, is stdin.
	if _, err := unix.Setsid(); err != nil {
		return fmt.Errorf("creating session: %w", err)
	}
	if cfg.Terminal {
		if err := unix.IoctlSetInt(0, unix.TIOCSCTTY, 0); err != nil {
			return fmt.Errorf("setting controlling terminal: %w", err)
		}
	}
	return execCommand(&cfg)
}
