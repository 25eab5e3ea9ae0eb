package cli

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/template"
	"time"

	"github.com/spf13/cobra"

	"github.com/geedocker/geedocker/internal/events"
	"github.com/geedocker/geedocker/internal/logs"
)

func newEventsCmd(g *globals) *cobra.Command {
	var since, until, format string
	var filterArgs []string
	c := &cobra.Command{
		Use:   "events [OPTIONS]",
		Short: "Get real time events from the server",
		Args:  exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			var tmpl *template.Template
			if format != "" {
				src := format
				if src == "json" {
					src = "{{json .}}"
				}
				src, _ = formatSource(src)
				t, err := parseTemplate(src)
				if err == nil {
					err = t.Execute(io.Discard, events.Message{}) // as Docker: {{.Bad}} fails here
				}
				if err != nil {
					return &StatusError{Code: 64, Err: fmt.Errorf("Error parsing format: %w", err)}
				}
				tmpl = t
			}
			f, err := parseEventFilters(filterArgs)
			if err != nil {
				return err
			}
			now := time.Now()
			sinceT, err := logs.ParseSince(since, now)
			if err != nil {
				return flagError{err}
			}
			untilT, err := logs.ParseSince(until, now)
			if err != nil {
				return flagError{err}
			}
			if !untilT.IsZero() && untilT.Before(sinceT) {
				return fmt.Errorf("`since` time (%s) cannot be after `until` time (%s)", unixText(sinceT), unixText(untilT))
			}
			e, err := g.engine()
			if err != nil {
				return err
			}
			// Each event is written as it comes: a reader of a pipe sees it at once.
			err = e.Events().Read(c.Context(), sinceT, untilT, func(m events.Message) error {
				if !f.Include(m) {
					return nil
				}
				var b bytes.Buffer
				if tmpl != nil {
					if err := tmpl.Execute(&b, m); err != nil {
						return fmt.Errorf("executing --format template: %w", err)
					}
					b.WriteByte('\n')
				} else {
					writeEvent(&b, m)
				}
				_, err := g.stdout.Write(b.Bytes())
				return err
			})
			if err == nil && untilT.IsZero() {
				// Ended by a signal: 128+signal, quietly, as Docker's CLI.
				err = c.Context().Err()
			}
			return err
		},
	}
	fl := c.Flags()
	fl.StringVar(&since, "since", "", "Show all events created since timestamp")
	fl.StringVar(&until, "until", "", "Stream events until this timestamp")
	fl.StringArrayVarP(&filterArgs, "filter", "f", nil, "Filter output based on conditions provided")
	fl.StringVar(&format, "format", "", "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates")
	return c
}

// parseEventFilters reads --filter KEY=VALUE flags.
func parseEventFilters(args []string) (events.Filter, error) {
	f := events.Filter{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			return nil, flagError{fmt.Errorf("bad format of filter (expected name=value): %s", a)}
		}
		k = strings.ToLower(strings.TrimSpace(k))
		f[k] = append(f[k], v)
	}
	return f, f.Validate()
}

// unixText is a time as Docker's client sends it: seconds.nanoseconds.
func unixText(t time.Time) string {
	return fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond())
}

// writeEvent writes an event in Docker's default line format:
//
//	2026-12-06T05:40:01.123456789Z container start ID (image=busybox, name=x)
func writeEvent(w io.Writer, m events.Message) {
	if m.TimeNano != 0 || m.Time != 0 {
		fmt.Fprintf(w, "%s ", m.When().Format("2006-01-02T15:04:05.000000000Z07:00"))
	}
	fmt.Fprintf(w, "%s %s %s", m.Type, m.Action, m.Actor.ID)
	if len(m.Actor.Attributes) > 0 {
		keys := make([]string, 0, len(m.Actor.Attributes))
		for k := range m.Actor.Attributes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for i, k := range keys {
			keys[i] = k + "=" + m.Actor.Attributes[k]
		}
		fmt.Fprintf(w, " (%s)", strings.Join(keys, ", "))
	}
	fmt.Fprintln(w)
}
