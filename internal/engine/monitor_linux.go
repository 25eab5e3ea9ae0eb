package engine

import (
	"os"
	"os/signal"
	"syscall"
)

// ignoreHangup keeps the monitor alive when the terminal that started it
// goes away. The signals are caught and dropped, not ignored: an ignored
// signal stays ignored across execve, and the container's processes must
// start with the default dispositions (or Ctrl-C would not reach them).
func ignoreHangup(ch chan os.Signal) {
	signal.Notify(ch, syscall.SIGHUP, syscall.SIGINT, syscall.SIGPIPE)
	go func() {
		for range ch {
		}
	}()
}
