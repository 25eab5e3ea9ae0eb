// Command geedocker is a daemonless container engine with Docker's commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/geedocker/geedocker/internal/cli"
	"github.com/geedocker/geedocker/internal/dns"
	"github.com/geedocker/geedocker/internal/monitor"
	"github.com/geedocker/geedocker/internal/runccli"
	"github.com/geedocker/geedocker/internal/runtime"
	"github.com/geedocker/geedocker/internal/tinyinit"
)

// interrupted is the cause of the context's end when a signal ended it.
type interrupted struct{ sig syscall.Signal }

func (i interrupted) Error() string { return "interrupted by " + i.sig.String() }

func main() {
	// A re-executed container init never returns from runtime.Init.
	runtime.Init()
	// So is the helper that mounts the root filesystem of an external OCI runtime.
	monitor.RootfsHelper()
	if tinyinit.IsInit() {
		tinyinit.Main(os.Args[1:])
	}
	if dns.IsResolver() {
		os.Exit(dns.Main(os.Args[1:]))
	}
	// The same binary is the OCI runtime, with runc's command line, under that name.
	if filepath.Base(os.Args[0]) == "geedocker-runc" {
		runccli.Version = cli.Version
		os.Exit(runccli.Main(os.Args[1:]))
	}
	// SIGINT, SIGTERM and SIGHUP cancel the command's context: a long-running
	// command (stats, logs -f, wait, attach) then ends, quietly, with 128+signal.
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		if sig, ok := <-sigs; ok {
			cancel(interrupted{sig.(syscall.Signal)})
		}
	}()
	err := cli.NewRoot().ExecuteContext(ctx)
	signal.Stop(sigs)
	var intr interrupted
	if errors.Is(err, context.Canceled) && errors.As(context.Cause(ctx), &intr) {
		os.Exit(128 + int(intr.sig))
	}
	if err != nil {
		if !cli.IsSilent(err) {
			fmt.Fprintln(os.Stderr, cli.ErrorText(err))
		}
		os.Exit(cli.ExitCode(err))
	}
}
