package cli

import (
	"github.com/spf13/cobra"

	"github.com/geedocker/geedocker/internal/runccli"
)

// newRuntimeCmd is `geedocker runtime …`: the OCI runtime geedocker-runc, runc's command line.
func newRuntimeCmd() *cobra.Command {
	return &cobra.Command{
		Use:                "runtime [--root DIR] [--log FILE] [--log-format text|json] COMMAND [OPTIONS] ID",
		Short:              "The OCI runtime with runc's commands (also installed as geedocker-runc)",
		DisableFlagParsing: true,
		RunE: func(c *cobra.Command, args []string) error {
			runccli.Version = Version
			if code := runccli.Main(args); code != 0 {
				return &StatusError{Code: code}
			}
			return nil
		},
	}
}
