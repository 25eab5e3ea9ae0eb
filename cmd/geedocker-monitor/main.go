// Command geedocker-monitor holds one detached container for as long as it lives, as conmon
// holds one for podman (see package holder): geedocker starts it, next to itself, as
//
//	geedocker-monitor --engine GEEDOCKER --root ROOT [--config-file FILE] --socket PATH
//	                  [--prepared] [--wait-attach] [--open-stdin] container-monitor ID
//
// with the first start's description on stdin (--prepared) and a pipe on fd 3 for the
// outcome of the first start. It starts the container, and records what happens to it,
// through the short-lived commands of geedocker-init, installed next to it; a depcheck test
// keeps it small.
package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"path/filepath"
	goruntime "runtime"
	"syscall"

	"github.com/geedocker/geedocker/internal/holder"
)

// InitBinary is the program that runs the hooks, next to this one.
const InitBinary = "geedocker-init"

// No memory profiling: its bucket table alone would be larger than the monitor.
func init() { goruntime.MemProfileRate = 0 }

func main() {
	if err := run(os.Args[1:]); err != nil {
		os.Stderr.WriteString("geedocker-monitor: " + err.Error() + "\n")
		os.Exit(1)
	}
}

const usage = "usage: geedocker-monitor --engine GEEDOCKER --root ROOT [--config-file FILE] --socket PATH [--prepared] [--wait-attach] [--open-stdin] container-monitor ID"

func run(args []string) error {
	var engine, socket string
	var prepared, waitAttach, openStdin bool
	var global, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		value := func() string {
			if i+1 < len(args) {
				i++
				return args[i]
			}
			return ""
		}
		switch a {
		case "--engine":
			engine = value()
		case "--root", "--config-file":
			global = append(global, a, value())
		case "--socket":
			socket = value()
		case "--prepared":
			prepared = true
		case "--wait-attach":
			waitAttach = true
		case "--open-stdin":
			openStdin = true
		default:
			rest = append(rest, a)
		}
	}
	if len(rest) != 2 || rest[0] != "container-monitor" || engine == "" || socket == "" || len(global) == 0 {
		return errors.New(usage)
	}
	id := rest[1]
	// The pipe of the command that started this one: never a child's.
	syscall.CloseOnExec(3)
	ready := os.NewFile(3, "ready")
	report := func(msg string) {
		if ready != nil {
			ready.WriteString(msg)
		}
	}
	// Hang-ups and interrupts of the terminal that started it are caught and dropped, not
	// ignored: an ignored signal stays ignored across execve, and the container's processes
	// must start with the default dispositions.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGINT, syscall.SIGPIPE)
	go func() {
		for range sigs {
		}
	}()
	self, err := os.Executable()
	if err != nil {
		report(holder.ReadyMessage(err))
		return err
	}
	hooks, err := holder.NewExecHooks(holder.ExecHooks{
		Init: filepath.Join(filepath.Dir(self), InitBinary), Engine: engine, Global: global, ID: id,
		Prepared: prepared,
	})
	if err != nil {
		report(holder.ReadyMessage(err))
		return err
	}
	cfg := holder.Config{
		Hooks: hooks, Socket: socket, OpenStdin: openStdin, WaitAttach: waitAttach,
		Ready: func(err error) {
			report(holder.ReadyMessage(err))
			ready.Close()
			ready = nil
		},
	}
	if waitAttach {
		cfg.Listening = func() { report("listening") }
	}
	holder.Run(context.Background(), cfg)
	return nil
}
