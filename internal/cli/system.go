package cli

import "github.com/spf13/cobra"

// newSystemCmd is `system`: events, df, prune and info.
func newSystemCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "system", Short: "Manage GeeDocker"}
	c.AddCommand(newEventsCmd(g), newInfoCmd(g))
	return c
}
