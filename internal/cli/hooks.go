package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/geedocker/geedocker/internal/monitor"
)

// The hidden commands that a container's monitor (geedocker-monitor) runs, see
// monitor.ExecHooks.

// newPrepareCmd readies a restart: it makes the cgroup, wires the network and prints the
// start as JSON; with --network-pid it wires the network of a container with a user
// namespace, whose init is that process.
func newPrepareCmd(g *globals) *cobra.Command {
	var networkPid int
	c := &cobra.Command{
		Use:    monitor.PrepareCommand + " ID",
		Hidden: true,
		Args:   exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			st, err := e.Prepare(args[0], networkPid)
			if err != nil {
				return startErr(err)
			}
			if st != nil {
				return json.NewEncoder(g.stdout).Encode(st)
			}
			return nil
		},
	}
	c.Flags().IntVar(&networkPid, "network-pid", 0, "Wire the network of the container whose init is this process")
	return c
}

// newCleanupCmd runs when the container's command has ended: it releases the cgroup and the
// network, records the exit and prints whether to restart ("restart MS" or "exit").
func newCleanupCmd(g *globals) *cobra.Command {
	var ex monitor.Exit
	c := &cobra.Command{
		Use:    monitor.CleanupCommand + " ID",
		Hidden: true,
		Args:   exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			next, err := e.Cleanup(args[0], ex)
			if err != nil {
				return err
			}
			fmt.Fprintln(g.stdout, next.String())
			return nil
		},
	}
	c.Flags().IntVar(&ex.Code, "exit-code", 0, "The exit code of the container's command")
	c.Flags().BoolVar(&ex.OOMKilled, "oom", false, "The container was OOM-killed")
	c.Flags().BoolVar(&ex.StartFailed, "start-failed", false, "The container's command never ran")
	return c
}
