package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// usageError is a command line the command cannot take, printed as Docker 28's
// CLI prints it: the problem, the command's usage line and where to read more,
// without the "Error: " prefix. A bad flag exits 125, a wrong number of
// arguments or an unknown command 1, as Docker's.
type usageError struct {
	msg  string
	code int
}

func (e usageError) Error() string { return e.msg }

// ErrorText is what the command prints on stderr for err. Several errors (a
// command given several names, each failing) are one line each, each with its
// prefix, as Docker's CLI prints each daemon error.
func ErrorText(err error) string {
	var ue usageError
	if errors.As(err, &ue) {
		return ue.msg
	}
	// errors.Join's: several errors, one a line (a classed error also wraps
	// several, its class among them, but reads as one line).
	if j, ok := err.(interface{ Unwrap() []error }); ok && strings.Contains(err.Error(), "\n") {
		var lines []string
		for _, e := range j.Unwrap() {
			lines = append(lines, ErrorText(e))
		}
		return strings.Join(lines, "\n")
	}
	return "Error: " + err.Error()
}

// badFlag is a flag the parser refused (unknown, missing its value, invalid).
func badFlag(c *cobra.Command, err error) error {
	return usageError{fmt.Sprintf("%v\n\nUsage:  %s\n\nRun '%s --help' for more information", err, c.UseLine(), c.CommandPath()), 125}
}

// badArgs is a wrong number of arguments; what says how many the command takes.
// Docker points to --help with "See" after "requires at least" and "Run" otherwise.
func badArgs(c *cobra.Command, what string) error {
	verb := "Run"
	if strings.HasPrefix(what, "requires at least") && !strings.Contains(what, " and ") {
		verb = "See"
	}
	return usageError{fmt.Sprintf("geedocker: '%s' %s\n\nUsage:  %s\n\n%s '%s --help' for more information", c.CommandPath(), what, c.UseLine(), verb, c.CommandPath()), 1}
}

// unknownCommand is a subcommand a command group does not have.
func unknownCommand(c *cobra.Command, name string) error {
	usage := ""
	if c.HasParent() {
		usage = "\n\nUsage:  " + c.CommandPath()
	}
	return usageError{fmt.Sprintf("geedocker: unknown command: %s %s%s\n\nRun '%s --help' for more information", c.CommandPath(), name, usage, c.CommandPath()), 1}
}

// arguments is "1 argument" or "2 arguments".
func arguments(n int) string {
	if n == 1 {
		return "1 argument"
	}
	return fmt.Sprintf("%d arguments", n)
}
