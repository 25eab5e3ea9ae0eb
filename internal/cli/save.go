package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func newSaveCmd(g *globals) *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:   "save [OPTIONS] IMAGE [IMAGE...]",
		Short: "Save one or more images to a tar archive (streamed to STDOUT by default)",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if output == "" {
				if f, ok := g.stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
					return flagError{errors.New("cowardly refusing to save to a terminal. Use the -o flag or redirect")}
				}
			}
			e, err := g.engine()
			if err != nil {
				return err
			}
			if output == "" {
				return e.Save(c.Context(), args, g.stdout)
			}
			// Written beside the target and renamed: a failed save leaves
			// nothing, and never half of an archive under the name asked for.
			f, err := os.CreateTemp(filepath.Dir(output), "."+filepath.Base(output)+".tmp-")
			if err != nil {
				return fmt.Errorf("failed to save: %w", err)
			}
			ok := false
			defer func() {
				if !ok {
					f.Close()
					os.Remove(f.Name())
				}
			}()
			if err := e.Save(c.Context(), args, f); err != nil {
				return err
			}
			if err := f.Chmod(0o644); err != nil {
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			if err := os.Rename(f.Name(), output); err != nil {
				return fmt.Errorf("failed to save: %w", err)
			}
			ok = true
			return nil
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "", "Write to a file, instead of STDOUT")
	return c
}
