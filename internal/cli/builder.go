package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newBuilderCmd(g *globals) *cobra.Command {
	builder := &cobra.Command{Use: "builder", Short: "Manage builds"}
	prune := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove build cache",
		Args:  exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			n, err := e.PruneBuildCache()
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "Deleted build cache objects: %d\n", n)
			return nil
		},
	}
	prune.Flags().BoolP("force", "f", false, "Do not prompt for confirmation")
	prune.Flags().BoolP("all", "a", false, "Remove all unused build cache (always)")
	builder.AddCommand(prune, newBuildCmd(g))
	return builder
}
