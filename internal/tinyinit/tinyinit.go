// Package tinyinit is the PID 1 of `run --init`: it starts the command,
// forwards the signals it receives to it, reaps every orphan that the
// kernel re-parents to it, and exits with the command's status (128+N when
// the command was killed by signal N). The engine's own binary serves as the
// init: it is bind-mounted read-only at /sbin/docker-init, and main calls
// Main when it is started under that name.
package tinyinit

import (
	"os"
	"path/filepath"
)

// Name is the base name under which the binary acts as the init.
const Name = "docker-init"

// IsInit reports whether this process was started as the container init.
func IsInit() bool { return filepath.Base(os.Args[0]) == Name }
