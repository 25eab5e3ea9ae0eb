// Command geedocker-monitor holds one detached container for as long as it lives (see
// package monitor): geedocker starts it, next to itself, as
//
//	geedocker-monitor --engine GEEDOCKER --root ROOT --config-file FILE [--prepared] [--wait-attach] [--open-stdin] container-monitor ID
//
// with the first start's monitor.Start as JSON on stdin (--prepared) and a pipe on fd 3
// for the outcome of the first start. It is also the container's init (package runtime
// re-executes it) and the --init of a container, so those come first.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	goruntime "runtime"
	"runtime/debug"
	"syscall"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/dns"
	"github.com/geedocker/geedocker/internal/events"
	"github.com/geedocker/geedocker/internal/monitor"
	"github.com/geedocker/geedocker/internal/runtime"
	"github.com/geedocker/geedocker/internal/tinyinit"
)

// No memory profiling: its bucket table alone would be larger than the monitor.
func init() { goruntime.MemProfileRate = 0 }

func main() {
	// A re-executed container init never returns from runtime.Init.
	runtime.Init()
	// So is the helper that mounts the root filesystem of an external OCI runtime.
	monitor.RootfsHelper()
	if tinyinit.IsInit() {
		tinyinit.Main(os.Args[1:])
	}
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "geedocker-monitor: "+err.Error())
		os.Exit(1)
	}
}

// memoryLimit is the soft limit of the Go heap once the container runs.
const memoryLimit = 2 << 20

func run(args []string) error {
	// The monitor lives as long as the container: keep it small (but not while it starts
	// the container: a tight limit then makes the collector run all the time).
	debug.SetGCPercent(50)
	fs := flag.NewFlagSet("geedocker-monitor", flag.ContinueOnError)
	engine := fs.String("engine", "", "the geedocker binary, for the hooks")
	root := fs.String("root", "", "the store root")
	configFile := fs.String("config-file", "", "geedocker's config file")
	prepared := fs.Bool("prepared", false, "the first start is prepared: its monitor.Start is on stdin")
	waitAttach := fs.Bool("wait-attach", false, "start the container once a client has attached")
	openStdin := fs.Bool("open-stdin", false, "hold the container's stdin open for attached clients")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 || fs.Arg(0) != "container-monitor" || *engine == "" || *root == "" {
		return fmt.Errorf("usage: geedocker-monitor --engine GEEDOCKER --root ROOT [--config-file FILE] [flags] container-monitor ID")
	}
	id := fs.Arg(1)
	dns.Program = *engine // the resolver is geedocker's, not this program's
	ready := os.NewFile(3, "ready")
	report := func(msg string) {
		if ready != nil {
			ready.WriteString(msg)
		}
	}
	fail := func(err error) error {
		report(monitor.ReadyMessage(err))
		return err
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
	cs, err := container.Open(*root)
	if err != nil {
		return fail(err)
	}
	var first *monitor.Start
	if *prepared {
		first = new(monitor.Start)
		done := make(chan error)
		go func() { done <- json.NewDecoder(os.Stdin).Decode(first) }() // its stack goes with it
		if err := <-done; err != nil {
			return fail(fmt.Errorf("reading the prepared start: %w", err))
		}
	}
	if err := os.MkdirAll(cs.RunDir(), 0o700); err != nil {
		return fail(err)
	}
	global := []string{"--root", *root}
	if *configFile != "" {
		global = append(global, "--config-file", *configFile)
	}
	cfg := monitor.Config{
		Store: cs, ID: id, First: first,
		Hooks:     monitor.ExecHooks{Engine: *engine, Global: global, ID: id},
		Socket:    cs.AttachSocket(id),
		Events:    events.Open(*root),
		OpenStdin: *openStdin, WaitAttach: *waitAttach,
		Ready: func(err error) {
			report(monitor.ReadyMessage(err))
			ready.Close()
			ready = nil
			debug.SetMemoryLimit(memoryLimit)
		},
	}
	if *waitAttach {
		cfg.Listening = func() { report("listening") }
	}
	monitor.Run(context.Background(), cfg)
	return nil
}
