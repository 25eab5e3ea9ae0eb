package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/geedocker/geedocker/internal/engine"
)

// globalArgs are the flags a monitor needs to find the same store.
func (g *globals) args() []string {
	return []string{"--root", g.root, "--config-file", g.configFile}
}

// forEach runs fn on every argument, printing the argument on success as
// Docker does, and joins the errors.
func forEach(g *globals, args []string, fn func(string) error) error {
	var errs []error
	for _, a := range args {
		if err := fn(a); err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintln(g.stdout, a)
	}
	return errors.Join(errs...)
}

func newStopCmd(g *globals) *cobra.Command {
	var seconds int
	var signal string
	c := &cobra.Command{
		Use:   "stop [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Stop one or more running containers",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			o, err := stopOptions(c, seconds, signal)
			if err != nil {
				return err
			}
			return forEach(g, args, func(ref string) error { return e.StopWith(ref, o) })
		},
	}
	c.Flags().StringVarP(&signal, "signal", "s", "", "Signal to send to the container")
	c.Flags().IntVarP(&seconds, "time", "t", 10, "Seconds to wait before killing the container")
	c.Flags().IntVar(&seconds, "timeout", 10, "Alias of --time")
	c.Flags().MarkHidden("timeout")
	return c
}

func newKillCmd(g *globals) *cobra.Command {
	var signal string
	c := &cobra.Command{
		Use:   "kill [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Kill one or more running containers",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if _, err := engine.ParseSignal(signal); err != nil {
				return flagError{err}
			}
			e, err := g.engine()
			if err != nil {
				return err
			}
			return forEach(g, args, func(ref string) error { return e.Kill(ref, signal) })
		},
	}
	c.Flags().StringVarP(&signal, "signal", "s", "KILL", "Signal to send to the container")
	return c
}

func newRmCmd(g *globals, use string) *cobra.Command {
	var force, volumes bool
	c := &cobra.Command{
		Use:   use + " [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Remove one or more containers",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			return forEach(g, args, func(ref string) error { return e.RemoveWithVolumes(ref, force, volumes) })
		},
	}
	c.Flags().BoolVarP(&force, "force", "f", false, "Force the removal of a running container (uses SIGKILL)")
	c.Flags().BoolVarP(&volumes, "volumes", "v", false, "Remove anonymous volumes associated with the container")
	return c
}

func newStartCmd(g *globals) *cobra.Command {
	var attach, interactive bool
	var keys detachKeysValue
	c := &cobra.Command{
		Use:   "start [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Start one or more stopped containers",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			if (attach || interactive) && len(args) > 1 {
				return flagerr("you cannot start and attach multiple containers at once")
			}
			if interactive {
				return startInteractive(c, g, e, args[0], keys.bytes())
			}
			if attach {
				since := time.Now()
				// Signals reach the container from the start (start -a forwards them, as
				// Docker's); the command ends with the container.
				stop := proxySignals(e, args[0])
				defer stop()
				ct, err := e.StartExisting(c.Context(), args[0], g.args())
				if err != nil {
					return startErr(err)
				}
				c.SetContext(context.WithoutCancel(c.Context()))
				return followAndWait(c, g, e, ct.ID, since)
			}
			return forEach(g, args, func(ref string) error {
				_, err := e.StartExisting(c.Context(), ref, g.args())
				return err
			})
		},
	}
	c.Flags().BoolVarP(&attach, "attach", "a", false, "Attach STDOUT/STDERR and forward signals")
	c.Flags().Var(&keys, "detach-keys", "Override the key sequence for detaching a container")
	c.Flags().BoolVarP(&interactive, "interactive", "i", false, "Attach container's STDIN")
	return c
}

// startInteractive is start -i (with or without -a): the container starts once this
// command is attached to it, stdin included when the container keeps one open (-i at
// create), and its exit code becomes this command's.
func startInteractive(c *cobra.Command, g *globals, e *engine.Engine, ref string, keys []byte) error {
	ct, err := e.Container(ref)
	if err != nil {
		return err
	}
	var client *engine.AttachClient
	if ct.State.Running {
		client, err = e.Attach(ct.ID)
	} else {
		client, err = e.StartAttached(c.Context(), ct.ID, g.args())
	}
	if err != nil {
		return startErr(err)
	}
	return attachSession(c.Context(), client, sessionOptions{
		tty: ct.Config.Tty, stdin: ct.Config.OpenStdin, stdout: true, stderr: true, keys: keys,
	})
}

func flagerr(msg string) error { return flagError{errors.New(msg)} }

// startErr maps a start failure to Docker's exit codes.
func startErr(err error) error {
	var se *engine.StartError
	if errors.As(err, &se) {
		return &StatusError{Code: se.Code, Err: se.Err}
	}
	return err
}

func newRestartCmd(g *globals) *cobra.Command {
	var seconds int
	var signal string
	c := &cobra.Command{
		Use:   "restart [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Restart one or more containers",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			o, err := stopOptions(c, seconds, signal)
			if err != nil {
				return err
			}
			return forEach(g, args, func(ref string) error {
				if err := e.StopWith(ref, o); err != nil {
					return err
				}
				ct, err := e.StartExisting(c.Context(), ref, g.args())
				if err == nil {
					e.EmitContainer(ct, "restart")
				}
				return err
			})
		},
	}
	c.Flags().StringVarP(&signal, "signal", "s", "", "Signal to send to the container")
	c.Flags().IntVarP(&seconds, "time", "t", 10, "Seconds to wait before killing the container")
	return c
}

// stopOptions are the -s and -t of stop and restart: without -t, the container's
// --stop-timeout (else 10 s); without -s, its stop signal.
func stopOptions(c *cobra.Command, seconds int, signal string) (engine.StopOptions, error) {
	o := engine.StopOptions{Signal: signal}
	if signal != "" {
		if _, err := engine.ParseSignal(signal); err != nil {
			return o, flagError{err}
		}
	}
	if c.Flags().Changed("time") || c.Flags().Lookup("timeout") != nil && c.Flags().Changed("timeout") {
		o.Timeout = &seconds
	}
	return o, nil
}

func newWaitCmd(g *globals) *cobra.Command {
	var condition string
	c := &cobra.Command{
		Use:   "wait CONTAINER [CONTAINER...]",
		Short: "Block until one or more containers stop, then print their exit codes",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			switch condition {
			case engine.WaitNotRunning, engine.WaitNextExit, engine.WaitRemoved:
			default:
				return flagError{fmt.Errorf("invalid condition: %q: must be one of not-running, next-exit, removed", condition)}
			}
			var errs []error
			for _, ref := range args {
				code, err := e.WaitCondition(c.Context(), ref, condition)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Fprintln(g.stdout, code)
			}
			return errors.Join(errs...)
		},
	}
	c.Flags().StringVar(&condition, "condition", engine.WaitNotRunning, "Condition to wait for (not-running, next-exit, removed)")
	return c
}

func newContainerPruneCmd(g *globals) *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove all stopped containers",
		Args:  exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			if !force && !confirm(g, "WARNING! This will remove all stopped containers.\nAre you sure you want to continue?") {
				return nil
			}
			ids, reclaimed, err := e.PruneContainers()
			if len(ids) > 0 {
				fmt.Fprintln(g.stdout, "Deleted Containers:")
				fmt.Fprintln(g.stdout, strings.Join(ids, "\n"))
				fmt.Fprintln(g.stdout)
			}
			fmt.Fprintln(g.stdout, "Total reclaimed space: "+humanSize(reclaimed))
			return err
		},
	}
	c.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	return c
}
