package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/geedocker/geedocker/internal/attach"
	"github.com/geedocker/geedocker/internal/engine"
)

func newAttachCmd(g *globals) *cobra.Command {
	var noStdin bool
	var keys detachKeysValue
	c := &cobra.Command{
		Use:   "attach [OPTIONS] CONTAINER",
		Short: "Attach local standard input, output, and error streams to a running container",
		Args:  exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			ct, err := e.Container(args[0])
			if err != nil {
				return err
			}
			if !ct.State.Running {
				return fmt.Errorf("You cannot attach to a stopped container, start it first")
			}
			if ct.State.Paused {
				return fmt.Errorf("You cannot attach to a paused container, unpause it first")
			}
			client, err := e.Attach(ct.ID)
			if err != nil {
				return err
			}
			return attachSession(c.Context(), client, sessionOptions{
				tty: ct.Config.Tty, stdin: !noStdin && ct.Config.OpenStdin, stdout: true, stderr: true, keys: keys.bytes(),
			})
		},
	}
	c.Flags().BoolVar(&noStdin, "no-stdin", false, "Do not attach STDIN")
	c.Flags().Var(&keys, "detach-keys", "Override the key sequence for detaching a container")
	return c
}

// sessionOptions say what an attach session carries: the streams, whether the container
// has a terminal, and the detach sequence (Ctrl-P Ctrl-Q by default).
type sessionOptions struct {
	tty, stdin, stdout, stderr bool
	keys                       []byte
}

// attachSession connects the user's terminal or stdio to a container through
// its monitor until the container exits (its exit code becomes ours), the
// user detaches with the detach keys (a terminal session), or ctx ends (a
// signal to this command: the container keeps running).
func attachSession(ctx context.Context, client *engine.AttachClient, o sessionOptions) error {
	defer client.Close()
	tty, stdin := o.tty, o.stdin
	stop := context.AfterFunc(ctx, func() { client.Close() })
	defer stop()
	fd := int(os.Stdin.Fd())
	isTerm := term.IsTerminal(fd)
	if tty && isTerm {
		if state, err := term.MakeRaw(fd); err == nil {
			defer term.Restore(fd, state)
		}
		resize := func() {
			if w, h, err := term.GetSize(fd); err == nil {
				client.Resize(uint16(h), uint16(w))
			}
		}
		resize()
		winch := make(chan os.Signal, 1)
		signal.Notify(winch, syscall.SIGWINCH)
		defer signal.Stop(winch)
		go func() {
			for range winch {
				resize()
			}
		}()
	}
	detached := make(chan struct{}, 1)
	if stdin {
		go func() {
			in := io.Reader(os.Stdin)
			if tty { // the detach sequence ends a terminal session
				in = attach.NewDetachReader(in, o.keys)
			}
			_, err := io.Copy(client, in)
			switch {
			case errors.Is(err, attach.ErrDetached):
				detached <- struct{}{}
				client.Close()
			case err == nil: // the end of the input
				client.CloseInput()
			}
		}()
	}
	stdout, stderr := io.Writer(os.Stdout), io.Writer(os.Stderr)
	if !o.stdout {
		stdout = io.Discard
	}
	if !o.stderr {
		stderr = io.Discard
	}
	code, exited, err := client.Copy(stdout, stderr)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return err
	}
	select {
	case <-detached:
		return nil
	default:
	}
	if !exited {
		return nil
	}
	if code != 0 {
		return &StatusError{Code: code}
	}
	return nil
}
