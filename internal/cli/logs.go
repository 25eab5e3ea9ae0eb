package cli

import (
	"context"
	"errors"
	"time"

	"github.com/spf13/cobra"

	"github.com/geedocker/geedocker/internal/engine"
	"github.com/geedocker/geedocker/internal/logs"
)

func newLogsCmd(g *globals) *cobra.Command {
	var follow, timestamps bool
	var tail, since, until string
	c := &cobra.Command{
		Use:   "logs [OPTIONS] CONTAINER",
		Short: "Fetch the logs of a container",
		Args:  exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			o := logs.ReadOptions{Follow: follow, Timestamps: timestamps, Tail: -1}
			if tail != "all" && tail != "" {
				n, err := parseNonNegative(tail)
				if err != nil {
					return flagError{err}
				}
				o.Tail = n
			}
			now := time.Now()
			var err error
			if since != "" {
				if o.Since, err = logs.ParseSince(since, now); err != nil {
					return flagError{err}
				}
			}
			if until != "" {
				if o.Until, err = logs.ParseSince(until, now); err != nil {
					return flagError{err}
				}
			}
			e, err := g.engine()
			if err != nil {
				return err
			}
			ct, err := e.Container(args[0])
			if err != nil {
				return err
			}
			var done <-chan struct{}
			if follow {
				done = e.Exited(ct)
			}
			return e.ReadLogs(c.Context(), ct, o, g.stdout, g.stderr, done)
		},
	}
	f := c.Flags()
	f.BoolVarP(&follow, "follow", "f", false, "Follow log output")
	f.BoolVarP(&timestamps, "timestamps", "t", false, "Show timestamps")
	f.StringVarP(&tail, "tail", "n", "all", "Number of lines to show from the end of the logs")
	f.StringVar(&since, "since", "", "Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m)")
	f.StringVar(&until, "until", "", "Show logs before a timestamp or relative")
	return c
}

// followAndWait prints a container's output until it exits (start -a) and
// exits with its code.
func followAndWait(c *cobra.Command, g *globals, e *engine.Engine, id string, since time.Time) error {
	ct, err := e.Container(id)
	if err != nil {
		return err
	}
	// Everything written since the start, even what the container wrote before this reads.
	err = e.ReadLogs(c.Context(), ct, logs.ReadOptions{Follow: true, Tail: -1, Since: since}, g.stdout, g.stderr, e.Exited(ct))
	if errors.Is(err, engine.ErrLogNotReadable) {
		<-e.Exited(ct) // no log to show (--log-driver none): only the exit code
	} else if err != nil {
		return err
	}
	code, err := e.Wait(context.WithoutCancel(c.Context()), id)
	if err != nil {
		return err
	}
	if code != 0 {
		return &StatusError{Code: code}
	}
	return nil
}
