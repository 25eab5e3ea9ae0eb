package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/geedocker/geedocker/internal/monitor"
)

// newHealthcheckCmd runs the container's health check once, for its monitor (see
// monitor.ExecHooks.Probe): it records the result and prints the health status.
func newHealthcheckCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:    monitor.HealthcheckCommand + " ID",
		Hidden: true,
		Args:   exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			status, err := e.HealthCheck(c.Context(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintln(g.stdout, status)
			return nil
		},
	}
}
