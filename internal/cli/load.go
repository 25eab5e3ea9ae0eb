package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func newLoadCmd(g *globals) *cobra.Command {
	var input string
	var quiet bool
	c := &cobra.Command{
		Use:   "load [OPTIONS]",
		Short: "Load an image from a tar archive or STDIN",
		Args:  exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			var r io.Reader = g.stdin
			if input != "" {
				f, err := os.Open(input)
				if err != nil {
					return fmt.Errorf("load: %w", err)
				}
				defer f.Close()
				r = f
			} else if f, ok := g.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
				return flagError{errors.New("requested load from stdin, but stdin is empty")}
			}
			e, err := g.engine()
			if err != nil {
				return err
			}
			loaded, err := e.Load(c.Context(), r)
			if err != nil {
				return err
			}
			for _, im := range loaded {
				if len(im.Tags) == 0 {
					fmt.Fprintf(g.stdout, "Loaded image ID: %s\n", im.ID)
				}
				for _, t := range im.Tags {
					fmt.Fprintf(g.stdout, "Loaded image: %s\n", t.FamiliarTagged())
				}
			}
			return nil
		},
	}
	c.Flags().StringVarP(&input, "input", "i", "", "Read from tar archive file, instead of STDIN")
	c.Flags().BoolVarP(&quiet, "quiet", "q", false, "Suppress the load output")
	return c
}
