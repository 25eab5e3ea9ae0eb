package cli

import (
	"errors"
	"fmt"
	"path"

	"github.com/spf13/cobra"
)

var pathMatch = path.Match

func newRmiCmd(g *globals, use string) *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use:   use + " [OPTIONS] IMAGE [IMAGE...]",
		Short: "Remove one or more images",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			var errs []error
			for _, name := range args {
				res, err := e.RemoveImage(name, force)
				for _, line := range res {
					fmt.Fprintln(g.stdout, line)
				}
				if err != nil {
					errs = append(errs, err)
				}
			}
			return errors.Join(errs...)
		},
	}
	c.Flags().BoolVarP(&force, "force", "f", false, "Force removal of the image")
	c.Flags().Bool("no-prune", false, "Do not delete untagged parents")
	return c
}

func newImagePruneCmd(g *globals) *cobra.Command {
	var all, force bool
	c := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove dangling images",
		Args:  exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			prune, what := e.PruneImages, "all dangling images"
			if all {
				prune, what = e.PruneUnusedImages, "all images without at least one container associated to them"
			}
			if !force && !confirm(g, "WARNING! This will remove "+what+".\nAre you sure you want to continue?") {
				return nil
			}
			res, reclaimed, err := prune()
			if len(res) > 0 {
				fmt.Fprintln(g.stdout, "Deleted Images:")
				for _, line := range res {
					fmt.Fprintln(g.stdout, line)
				}
				fmt.Fprintln(g.stdout)
			}
			fmt.Fprintln(g.stdout, "Total reclaimed space: "+humanSize(reclaimed))
			return err
		},
	}
	c.Flags().BoolVarP(&all, "all", "a", false, "Remove all unused images, not just dangling ones")
	c.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	return c
}

func newTagCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
		Short: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
		Args:  exactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			return e.Tag(args[0], args[1])
		},
	}
}

func newImageInspectCmd(g *globals, use string) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   use + " [OPTIONS] IMAGE [IMAGE...]",
		Short: "Display detailed information on one or more images",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			var docs []any
			var errs []error
			for _, name := range args {
				d, err := e.InspectImage(name)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				docs = append(docs, d)
			}
			if err := printInspect(g.stdout, format, docs); err != nil {
				return err
			}
			return errors.Join(errs...)
		},
	}
	c.Flags().StringVarP(&format, "format", "f", "", "Format output using a Go template")
	return c
}
