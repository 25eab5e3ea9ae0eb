// Command geedocker is a daemonless container engine with Docker's commands.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/geedocker/geedocker/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cli.NewRoot().ExecuteContext(ctx)
	stop()
	if err != nil {
		code := cli.ExitCode(err)
		if msg := err.Error(); !cli.IsSilent(err) {
			fmt.Fprintln(os.Stderr, "Error: "+msg)
		}
		os.Exit(code)
	}
}
