package tinyinit

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
)

// Main runs the init and exits; args are os.Args[1:], "--" then the command.
func Main(args []string) {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "docker-init: no command given")
		os.Exit(1)
	}
	path, err := exec.LookPath(args[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "docker-init: %v\n", err)
		os.Exit(127)
	}
	sigs := make(chan os.Signal, 32)
	signal.Notify(sigs)
	proc, err := os.StartProcess(path, args, &os.ProcAttr{Files: []*os.File{os.Stdin, os.Stdout, os.Stderr}})
	if err != nil {
		fmt.Fprintf(os.Stderr, "docker-init: %v\n", err)
		os.Exit(126)
	}
	for sig := range sigs {
		if sig != syscall.SIGCHLD {
			proc.Signal(sig)
			continue
		}
		// Reap everything that has exited; the command's end ends the init.
		for {
			var ws syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
			if err == syscall.EINTR {
				continue
			}
			if pid <= 0 || err != nil {
				break
			}
			if pid == proc.Pid {
				if ws.Signaled() {
					os.Exit(128 + int(ws.Signal()))
				}
				os.Exit(ws.ExitStatus())
			}
		}
	}
}
