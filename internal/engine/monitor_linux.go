package engine

import (
	"os"
	"os/signal"
	"syscall"
)

// ignoreHangup keeps the monitor alive when the terminal that started it
// goes away.
func ignoreHangup(chan os.Signal) { signal.Ignore(syscall.SIGHUP, syscall.SIGINT, syscall.SIGPIPE) }
