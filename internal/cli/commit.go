package cli

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"

	"github.com/geedocker/geedocker/internal/engine"
	"github.com/geedocker/geedocker/internal/reference"
)

func newCommitCmd(g *globals) *cobra.Command {
	var o engine.CommitOptions
	c := &cobra.Command{
		Use:   "commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
		Short: "Create a new image from a container's changes",
		Args:  rangeArgs(1, 2),
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 2 {
				ref, err := reference.ParseName(args[1])
				if err != nil {
					return err
				}
				o.Ref = &ref
			}
			for _, ch := range o.Changes {
				if err := engine.ApplyChange(&v1.Config{}, ch); err != nil {
					return flagError{err}
				}
			}
			e, err := g.engine()
			if err != nil {
				return err
			}
			id, err := e.Commit(c.Context(), args[0], o)
			if err != nil {
				return err
			}
			fmt.Fprintln(g.stdout, id)
			return nil
		},
	}
	c.Flags().StringVarP(&o.Author, "author", "a", "", `Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")`)
	c.Flags().StringArrayVarP(&o.Changes, "change", "c", nil, "Apply Dockerfile instruction to the created image")
	c.Flags().StringVarP(&o.Message, "message", "m", "", "Commit message")
	c.Flags().BoolVarP(&o.Pause, "pause", "p", true, "Pause container during commit")
	return c
}
