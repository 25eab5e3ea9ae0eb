// Command geedocker is a daemonless container engine with Docker's commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/geedocker/geedocker/internal/cli"
	"github.com/geedocker/geedocker/internal/dns"
	"github.com/geedocker/geedocker/internal/runtime"
	"github.com/geedocker/geedocker/internal/tinyinit"
)

// interrupted is the cause of the context's end when a signal ended it.
type interrupted struct{ sig syscall.Signal }

func (i interrupted) Error() string { return "interrupted by " + i.sig.String() }

func main() {
	// A re-executed container init never returns from runtime.Init.
	runtime.Init()
	if tinyinit.IsInit() {
		tinyinit.Main(os.Args[1:])
	}
	if dns.IsResolver() {
		os.Exit(resolverMain(os.Args[1:]))
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
			fmt.Fprintln(os.Stderr, "Error: "+err.Error())
		}
		os.Exit(cli.ExitCode(err))
	}
}

// resolverMain runs the DNS resolver of user networks (dns.Run) for the
// records directory in args; it is started by dns.Ensure, detached, with
// its output on /dev/null, and it exits when no network needs it.
func resolverMain(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: "+dns.ResolverName+" DIR")
		return 2
	}
	// SIGHUP reloads the records; it must be handled before dns.Run writes
	// the pid file that tells writers where to send it.
	reload := make(chan os.Signal, 1)
	signal.Notify(reload, syscall.SIGHUP)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := dns.Run(ctx, args[0], reload); err != nil {
		fmt.Fprintln(os.Stderr, dns.ResolverName+": "+err.Error())
		return 1
	}
	return 0
}
