package cli

import (
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
	c := &cobra.Command{
		Use:   "stop [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Stop one or more running containers",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			return forEach(g, args, func(ref string) error {
				return e.Stop(ref, time.Duration(seconds)*time.Second)
			})
		},
	}
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
	c := &cobra.Command{
		Use:   "start [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Start one or more stopped containers",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if interactive {
				return flagError{fmt.Errorf("start -i is not supported: use -a to follow the output")}
			}
			e, err := g.engine()
			if err != nil {
				return err
			}
			if attach {
				if len(args) > 1 {
					return flagerr("you cannot start and attach multiple containers at once")
				}
				since := time.Now()
				ct, err := e.StartExisting(c.Context(), args[0], g.args())
				if err != nil {
					return startErr(err)
				}
				return followAndWait(c, g, e, ct.ID, since)
			}
			return forEach(g, args, func(ref string) error {
				_, err := e.StartExisting(c.Context(), ref, g.args())
				return err
			})
		},
	}
	c.Flags().BoolVarP(&attach, "attach", "a", false, "Attach STDOUT/STDERR and forward signals")
	c.Flags().BoolVarP(&interactive, "interactive", "i", false, "Attach container's STDIN")
	return c
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
	c := &cobra.Command{
		Use:   "restart [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Restart one or more containers",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			return forEach(g, args, func(ref string) error {
				if err := e.Stop(ref, time.Duration(seconds)*time.Second); err != nil {
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
	c.Flags().IntVarP(&seconds, "time", "t", 10, "Seconds to wait before killing the container")
	return c
}

func newWaitCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "wait CONTAINER [CONTAINER...]",
		Short: "Block until one or more containers stop, then print their exit codes",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			var errs []error
			for _, ref := range args {
				code, err := e.Wait(c.Context(), ref)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Fprintln(g.stdout, code)
			}
			return errors.Join(errs...)
		},
	}
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
