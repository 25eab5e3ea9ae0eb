package cli

import (
	"bytes"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/geedocker/geedocker/internal/engine"
)

// detachKeys is Docker's default detach sequence: Ctrl-P Ctrl-Q.
var detachKeys = []byte{0x10, 0x11}

func newAttachCmd(g *globals) *cobra.Command {
	var noStdin bool
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
			client, err := e.Attach(ct.ID)
			if err != nil {
				return err
			}
			return attachSession(client, ct.Config.Tty, !noStdin && ct.Config.OpenStdin)
		},
	}
	c.Flags().BoolVar(&noStdin, "no-stdin", false, "Do not attach STDIN")
	c.Flags().String("detach-keys", "ctrl-p,ctrl-q", "Override the key sequence for detaching a container (only the default is supported)")
	return c
}

// attachSession connects the user's terminal or stdio to a container through
// its monitor until the container exits (its exit code becomes ours) or the
// user detaches with Ctrl-P Ctrl-Q.
func attachSession(client *engine.AttachClient, tty, stdin bool) error {
	defer client.Close()
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
			buf := make([]byte, 32*1024)
			var held []byte // a detach sequence prefix seen so far
			for {
				n, err := os.Stdin.Read(buf)
				if n > 0 {
					data := append(held, buf[:n]...)
					held = nil
					if tty {
						if i := bytes.Index(data, detachKeys); i >= 0 {
							client.Write(data[:i])
							detached <- struct{}{}
							client.Close()
							return
						}
						if data[len(data)-1] == detachKeys[0] {
							held = []byte{detachKeys[0]}
							data = data[:len(data)-1]
						}
					}
					if len(data) > 0 {
						if _, err := client.Write(data); err != nil {
							return
						}
					}
				}
				if err != nil {
					client.CloseInput()
					return
				}
			}
		}()
	}
	code, exited, err := client.Copy(os.Stdout, os.Stderr)
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
