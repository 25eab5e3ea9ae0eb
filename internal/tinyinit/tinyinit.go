// Package tinyinit is the PID 1 of `run --init`: it starts the command,
// forwards the signals it receives to it, reaps every orphan that the
// kernel re-parents to it, and exits with the command's status (128+N when
// the command was killed by signal N). The engine's own binary serves as the
// init: the container's init executes its sealed copy of the binary (see
// package runtime) under the name /sbin/docker-init, and main calls Main when
// it is started under that name. Nothing is mounted in the container for it.
package tinyinit

import (
	"os"
	"path/filepath"
)

// Name is the base name under which the binary acts as the init.
const Name = "docker-init"

// IsInit reports whether this process was started as the container init.
func IsInit() bool { return filepath.Base(os.Args[0]) == Name }
