// Package runccli is the command line of geedocker-runc, runc's commands and flags over
// package runc. Main maps errors to exit codes and to runc's log lines; nothing below it
// prints.
package runccli

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/geedocker/geedocker/internal/runtime"
)

// Version is the version printed by --version; the binary sets it.
var Version = "dev"

// Globals are the options that come before the command, as containerd passes them.
type Globals struct {
	Root          string
	Log           string
	LogFormat     string // "text" or "json"
	Debug         bool
	SystemdCgroup bool
	Version       bool
}

// usageError is a bad command line: exit code 1 with the message, as runc.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// parseGlobals reads the global options up to the command, and returns the rest.
func parseGlobals(args []string, defaultRoot string) (Globals, []string, error) {
	g := Globals{Root: defaultRoot, LogFormat: "text"}
	for len(args) > 0 {
		a := args[0]
		if !strings.HasPrefix(a, "-") || a == "-" {
			break
		}
		args = args[1:]
		if a == "--" {
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		takeValue := func() (string, error) {
			if hasValue {
				return value, nil
			}
			if len(args) == 0 {
				return "", &usageError{fmt.Sprintf("flag needs an argument: --%s", name)}
			}
			v := args[0]
			args = args[1:]
			return v, nil
		}
		var err error
		switch name {
		case "root":
			g.Root, err = takeValue()
		case "log":
			g.Log, err = takeValue()
		case "log-format":
			g.LogFormat, err = takeValue()
			if err == nil && g.LogFormat != "text" && g.LogFormat != "json" {
				err = &usageError{fmt.Sprintf("invalid log-format: %s", g.LogFormat)}
			}
		case "criu":
			_, err = takeValue()
		case "rootless":
			if !hasValue {
				_, err = takeValue()
			}
		case "debug":
			g.Debug = true
		case "systemd-cgroup":
			g.SystemdCgroup = true
		case "version", "v":
			g.Version = true
		case "help", "h":
			return g, []string{"help"}, nil
		default:
			err = &usageError{fmt.Sprintf("flag provided but not defined: -%s", name)}
		}
		if err != nil {
			return g, nil, err
		}
	}
	return g, args, nil
}

// parseSignal reads a signal as runc does: "KILL", "SIGKILL" or "9".
func parseSignal(s string) (unix.Signal, error) {
	if sig, ok := runtime.ParseSignal(s); ok {
		return sig, nil
	}
	return 0, fmt.Errorf("unknown signal %q", s)
}

// stringList is a flag that may be given several times.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// newFlags makes a flag set for a command that reports to w and returns errors.
func newFlags(cmd string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(w)
	return fs
}

// stringFlag registers a string flag under several names (runc's short and long forms).
func stringFlag(fs *flag.FlagSet, p *string, value, usage string, names ...string) {
	for _, n := range names {
		fs.StringVar(p, n, value, usage)
	}
}

func boolFlag(fs *flag.FlagSet, p *bool, usage string, names ...string) {
	for _, n := range names {
		fs.BoolVar(p, n, false, usage)
	}
}

func listFlag(fs *flag.FlagSet, p *stringList, usage string, names ...string) {
	for _, n := range names {
		fs.Var(p, n, usage)
	}
}

// logLine formats an error as runc writes it in --log: a JSON object per line, or logrus's
// text format.
func logLine(format, level, msg string, now time.Time) []byte {
	ts := now.UTC().Format(time.RFC3339Nano)
	if format == "json" {
		b, _ := json.Marshal(struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
			Time  string `json:"time"`
		}{level, msg, ts})
		return append(b, '\n')
	}
	return []byte(fmt.Sprintf("time=%q level=%s msg=%q\n", ts, level, msg))
}

// needArgs checks the number of positional arguments of a command.
func needArgs(cmd string, args []string, min, max int) error {
	if len(args) < min || max >= 0 && len(args) > max {
		switch {
		case min == max:
			return &usageError{fmt.Sprintf("%s: %d argument(s) required, got %d", cmd, min, len(args))}
		case max < 0:
			return &usageError{fmt.Sprintf("%s: at least %d argument(s) required, got %d", cmd, min, len(args))}
		}
		return &usageError{fmt.Sprintf("%s: %d to %d arguments required, got %d", cmd, min, max, len(args))}
	}
	return nil
}
