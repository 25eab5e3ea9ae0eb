package cli

import (
	"io"

	"github.com/spf13/cobra"
)

func newExportCmd(g *globals) *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:   "export [OPTIONS] CONTAINER",
		Short: "Export a container's filesystem as a tar archive",
		Args:  exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			return writeArchive(g, output, "export", func(w io.Writer) error { return e.Export(c.Context(), args[0], w) })
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "", "Write to a file, instead of STDOUT")
	return c
}
