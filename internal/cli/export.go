package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func newExportCmd(g *globals) *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:   "export [OPTIONS] CONTAINER",
		Short: "Export a container's filesystem as a tar archive",
		Args:  exactArgs(1),
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
				return e.Export(c.Context(), args[0], g.stdout)
			}
			f, err := os.CreateTemp(filepath.Dir(output), "."+filepath.Base(output)+".tmp-")
			if err != nil {
				return fmt.Errorf("failed to export: %w", err)
			}
			ok := false
			defer func() {
				if !ok {
					f.Close()
					os.Remove(f.Name())
				}
			}()
			if err := e.Export(c.Context(), args[0], f); err != nil {
				return err
			}
			if err := f.Chmod(0o644); err != nil {
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			if err := os.Rename(f.Name(), output); err != nil {
				return fmt.Errorf("failed to export: %w", err)
			}
			ok = true
			return nil
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "", "Write to a file, instead of STDOUT")
	return c
}
