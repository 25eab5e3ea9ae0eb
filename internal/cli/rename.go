package cli

import (
	"errors"
	"strings"

	"github.com/spf13/cobra"
)

func newRenameCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "rename CONTAINER NEW_NAME",
		Short: "Rename a container",
		Args:  exactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			if strings.TrimSpace(args[0]) == "" || strings.TrimSpace(args[1]) == "" {
				return errors.New("Neither old nor new names may be empty")
			}
			e, err := g.engine()
			if err != nil {
				return err
			}
			return e.Rename(args[0], args[1])
		},
	}
}
