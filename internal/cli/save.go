package cli

import (
	"errors"
	"fmt"
	"io"
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
			e, err := g.engine()
			if err != nil {
				return err
			}
			return writeArchive(g, output, "save", func(w io.Writer) error { return e.Save(c.Context(), args, w) })
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "", "Write to a file, instead of STDOUT")
	return c
}

// writeArchive writes an archive (what write makes) to stdout, refusing a terminal as Docker
// does, or to the file output: written beside it and renamed, so that a failure leaves nothing,
// and never half of an archive under the name asked for. verb names the command in errors.
func writeArchive(g *globals, output, verb string, write func(io.Writer) error) error {
	if output == "" {
		if f, ok := g.stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			return flagError{errors.New("cowardly refusing to save to a terminal. Use the -o flag or redirect")}
		}
		return write(g.stdout)
	}
	f, err := os.CreateTemp(filepath.Dir(output), "."+filepath.Base(output)+".tmp-")
	if err != nil {
		return fmt.Errorf("failed to %s: %w", verb, err)
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := write(f); err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), output); err != nil {
		return fmt.Errorf("failed to %s: %w", verb, err)
	}
	ok = true
	return nil
}
