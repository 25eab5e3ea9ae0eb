package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/geedocker/geedocker/internal/engine"
	"github.com/geedocker/geedocker/internal/reference"
)

func newPushCmd(g *globals) *cobra.Command {
	var quiet bool
	c := &cobra.Command{
		Use:   "push [OPTIONS] NAME[:TAG]",
		Short: "Upload an image to a registry",
		Args:  exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if all, _ := c.Flags().GetBool("all-tags"); all {
				return flagError{fmt.Errorf("--all-tags is not supported")}
			}
			ref, err := reference.Parse(args[0])
			if err != nil {
				return err
			}
			e, err := g.engine()
			if err != nil {
				return err
			}
			out := g.stdout
			var o engine.PushOptions
			if !quiet {
				fmt.Fprintf(out, "The push refers to repository [%s]\n", ref.Name())
				last := map[string]string{}
				o.Progress = func(p engine.Progress) {
					if p.Status == engine.StatusPushing || last[p.ID] == p.Status {
						return
					}
					last[p.ID] = p.Status
					fmt.Fprintf(out, "%s: %s\n", p.ID, p.Status)
				}
			}
			res, err := e.Push(c.Context(), ref, o)
			if err != nil {
				return err
			}
			if quiet {
				fmt.Fprintln(out, ref.String())
				return nil
			}
			fmt.Fprintf(out, "%s: digest: %s size: %d\n", ref.Tag, res.Digest, res.Size)
			return nil
		},
	}
	c.Flags().BoolVarP(&quiet, "quiet", "q", false, "Suppress verbose output")
	c.Flags().BoolP("all-tags", "a", false, "Push all tags of the repository (not supported)")
	return c
}
