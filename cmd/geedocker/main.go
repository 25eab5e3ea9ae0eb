// Command geedocker is a daemonless container engine with Docker's commands.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/geedocker/geedocker/internal/cli"
	"github.com/geedocker/geedocker/internal/runtime"
	"github.com/geedocker/geedocker/internal/tinyinit"
)

func main() {
	// A re-executed container init never returns from runtime.Init.
	runtime.Init()
	if tinyinit.IsInit() {
		tinyinit.Main(os.Args[1:])
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cli.NewRoot().ExecuteContext(ctx)
	stop()
	if err != nil {
		if !cli.IsSilent(err) {
			fmt.Fprintln(os.Stderr, "Error: "+err.Error())
		}
		os.Exit(cli.ExitCode(err))
	}
}
