package cli

import (
	"fmt"
	"io"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"

	"github.com/geedocker/geedocker/internal/engine"
	"github.com/geedocker/geedocker/internal/reference"
)

func newImportCmd(g *globals) *cobra.Command {
	var o engine.ImportOptions
	c := &cobra.Command{
		Use:   "import [OPTIONS] file|- [REPOSITORY[:TAG]]",
		Short: "Import the contents from a tarball to create a filesystem image",
		Args:  rangeArgs(1, 2),
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 2 {
				ref, err := reference.ParseName(args[1])
				if err != nil {
					return err
				}
				o.Ref = &ref
			}
			var r io.Reader = g.stdin
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return fmt.Errorf("import: %w", err)
				}
				defer f.Close()
				r = f
			}
			// Check the changes before reading any input.
			for _, ch := range o.Changes {
				if err := engine.ApplyChange(&v1.Config{}, ch); err != nil {
					return flagError{err}
				}
			}
			e, err := g.engine()
			if err != nil {
				return err
			}
			id, err := e.Import(c.Context(), r, o)
			if err != nil {
				return err
			}
			fmt.Fprintln(g.stdout, id)
			return nil
		},
	}
	c.Flags().StringArrayVarP(&o.Changes, "change", "c", nil, "Apply Dockerfile instruction to the created image")
	c.Flags().StringVarP(&o.Message, "message", "m", "", "Set commit message for imported image")
	c.Flags().String("platform", "", "Set platform (only the host's is supported)")
	return c
}
