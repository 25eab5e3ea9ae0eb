package cli

import (
	"github.com/spf13/cobra"
)

// newPauseCmd is `pause`: every process of each container is frozen (the cgroup freezer).
func newPauseCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "pause CONTAINER [CONTAINER...]",
		Short: "Pause all processes within one or more containers",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			return forEach(g, args, e.Pause)
		},
	}
}

// newUnpauseCmd is `unpause`.
func newUnpauseCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "unpause CONTAINER [CONTAINER...]",
		Short: "Unpause all processes within one or more containers",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			return forEach(g, args, e.Unpause)
		},
	}
}
