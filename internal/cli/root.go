// Package cli is GeeDocker's command line: one file per command, holding its
// flags and output formats. Engine logic lives in internal/engine; this
// package only parses, calls the engine and prints.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/geedocker/geedocker/internal/engine"
)

// Version is set at build time with -ldflags "-X …/cli.Version=…".
var Version = "0.1.0-dev"

// StatusError carries the exit code a command wants.
type StatusError struct {
	Code int
	Err  error // nil: exit silently with Code
}

func (e *StatusError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *StatusError) Unwrap() error { return e.Err }

// flagError marks bad command-line usage (exit 125, as Docker).
type flagError struct{ error }

func (e flagError) Unwrap() error { return e.error }

// ExitCode maps an error to the process exit code, as Docker does: 125 for
// bad usage, the command's own code for a StatusError, 1 otherwise.
func ExitCode(err error) int {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code
	}
	var ue usageError
	if errors.As(err, &ue) {
		return ue.code
	}
	var fe flagError
	if errors.As(err, &fe) {
		return 125
	}
	return 1
}

// globals are the options every command shares.
type globals struct {
	root       string
	configFile string
	stdout     io.Writer
	stderr     io.Writer
	stdin      io.Reader
}

func (g *globals) engine() (*engine.Engine, error) {
	cfg, err := engine.LoadConfig(g.configFile)
	if err != nil {
		return nil, err
	}
	return engine.New(g.root, cfg)
}

// NewRoot builds the root command.
func NewRoot() *cobra.Command {
	g := &globals{stdout: os.Stdout, stderr: os.Stderr, stdin: os.Stdin}
	root := &cobra.Command{
		Use:           "geedocker [OPTIONS] COMMAND",
		Short:         "A daemonless container engine that speaks Docker",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version,
	}
	root.SetVersionTemplate("GeeDocker version {{.Version}}\n")
	defRoot := os.Getenv("GEEDOCKER_ROOT")
	if defRoot == "" {
		defRoot = engine.DefaultRoot
	}
	defConfig := os.Getenv("GEEDOCKER_CONFIG")
	if defConfig == "" {
		defConfig = engine.DefaultConfigFile
	}
	root.PersistentFlags().StringVar(&g.root, "root", defRoot, "Root directory of the store (env GEEDOCKER_ROOT)")
	root.PersistentFlags().StringVar(&g.configFile, "config-file", defConfig, "GeeDocker's configuration file (env GEEDOCKER_CONFIG)")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return badFlag(c, err)
	})

	image := &cobra.Command{Use: "image", Short: "Manage images"}
	image.AddCommand(
		newImagesCmd(g, "ls"), newRmiCmd(g, "rm"), newPullCmd(g), newTagCmd(g),
		newImageInspectCmd(g, "inspect"), newImagePruneCmd(g), newImportCmd(g), newBuildCmd(g), newPushCmd(g), newSaveCmd(g), newLoadCmd(g), newHistoryCmd(g),
	)
	ctr := &cobra.Command{Use: "container", Short: "Manage containers"}
	ctr.AddCommand(
		newPsCmd(g, "ls"), newRmCmd(g, "rm"), newRunCmd(g), newStartCmd(g), newStopCmd(g), newKillCmd(g),
		newRestartCmd(g), newWaitCmd(g), newLogsCmd(g), newContainerInspectCmd(g), newContainerPruneCmd(g),
		newTopCmd(g), newStatsCmd(g), newExecCmd(g), newAttachCmd(g), newCommitCmd(g), newDiffCmd(g), newExportCmd(g), newCpCmd(g),
	)
	ctr.AddCommand(newCreateCmd(g), newRenameCmd(g))
	ctr.AddCommand(newPauseCmd(g), newUnpauseCmd(g))
	root.AddCommand(
		image, ctr, newPrepareCmd(g), newCleanupCmd(g), newHealthcheckCmd(g), newNetworkCmd(g), newVolumeCmd(g), newPortCmd(g),
		newPsCmd(g, "ps"), newRmCmd(g, "rm"), newStartCmd(g), newStopCmd(g), newKillCmd(g), newRestartCmd(g),
		newWaitCmd(g), newLogsCmd(g), newInspectCmd(g), newTopCmd(g), newStatsCmd(g), newExecCmd(g), newAttachCmd(g),
		newPullCmd(g), newImagesCmd(g, "images"), newRmiCmd(g, "rmi"), newTagCmd(g),
		newImportCmd(g), newPushCmd(g), newSaveCmd(g), newLoadCmd(g), newHistoryCmd(g),
		newCommitCmd(g), newDiffCmd(g), newExportCmd(g), newCpCmd(g), newCopyHelperCmd(g),
		newRunCmd(g), newBuildCmd(g), newBuilderCmd(g), newLoginCmd(g), newLogoutCmd(g), newVersionCmd(g), newInfoCmd(g),
		newRuntimeCmd(),
		newCreateCmd(g), newRenameCmd(g),
		newServeCmd(g),
		newServeCmd(g), newEventsCmd(g), newSystemCmd(g),
	)
	ctr.AddCommand(newUpdateCmd(g), newPortCmd(g))
	// Docker's other names for the same commands.
	for _, a := range []struct {
		group   *cobra.Command
		name    string
		aliases []string
	}{
		{ctr, "ls", []string{"list", "ps"}},
		{ctr, "rm", []string{"remove"}},
		{image, "rm", []string{"remove", "rmi"}},
	} {
		if sub, _, err := a.group.Find([]string{a.name}); err == nil && sub != a.group {
			sub.Aliases = append(sub.Aliases, a.aliases...)
		}
	}
	root.AddCommand(newUpdateCmd(g))
	root.AddCommand(newPauseCmd(g), newUnpauseCmd(g))
	for _, c := range allCommands(root) {
		c.Flags().SortFlags = false
		c.DisableFlagsInUseLine = true // the usage lines say [OPTIONS], as Docker's
		if c.HasSubCommands() && c.RunE == nil {
			// Cobra runs nothing (and exits 0) for a parent command with an
			// unknown subcommand unless the parent itself runs.
			c.Args = cobra.ArbitraryArgs
			c.RunE = func(c *cobra.Command, args []string) error {
				if len(args) == 0 {
					return c.Help()
				}
				return subcommandRequired(c, args)
			}
		}
	}
	return root
}

func allCommands(c *cobra.Command) []*cobra.Command {
	out := []*cobra.Command{c}
	for _, s := range c.Commands() {
		out = append(out, allCommands(s)...)
	}
	return out
}

func subcommandRequired(c *cobra.Command, args []string) error {
	if len(args) > 0 {
		return unknownCommand(c, args[0])
	}
	return flagError{fmt.Errorf("%q requires a subcommand\nSee '%s --help'.", c.CommandPath(), c.CommandPath())}
}

// exactArgs, minArgs, maxArgs and rangeArgs give Docker's usage errors (exit 1).
func exactArgs(n int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) != n {
			if n == 0 {
				return badArgs(c, "accepts no arguments")
			}
			return badArgs(c, "requires "+arguments(n))
		}
		return nil
	}
}

func minArgs(n int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) < n {
			return badArgs(c, "requires at least "+arguments(n))
		}
		return nil
	}
}

func maxArgs(n int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) > n {
			return badArgs(c, "requires at most "+arguments(n))
		}
		return nil
	}
}

func rangeArgs(lo, hi int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) < lo || len(args) > hi {
			if lo == 0 {
				return badArgs(c, "requires at most "+arguments(hi))
			}
			return badArgs(c, fmt.Sprintf("requires at least %d and at most %s", lo, arguments(hi)))
		}
		return nil
	}
}

// IsSilent reports whether err only carries an exit code (the container's)
// and nothing to print.
func IsSilent(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Err == nil
}
