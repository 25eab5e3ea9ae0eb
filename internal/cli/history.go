package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/geedocker/geedocker/internal/engine"
)

// historyRow is one line of `history`, and the object of --format.
type historyRow struct {
	ID           string `header:"IMAGE"`
	CreatedAt    string `header:"CREATED AT"`
	CreatedSince string `header:"CREATED"`
	CreatedBy    string `header:"CREATED BY"`
	Size         string
	Comment      string
}

func newHistoryCmd(g *globals) *cobra.Command {
	var noTrunc, quiet, human bool
	var format string
	c := &cobra.Command{
		Use:   "history [OPTIONS] IMAGE",
		Short: "Show the history of an image",
		Args:  exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			hist, err := e.History(args[0])
			if err != nil {
				return err
			}
			rows := historyRows(hist, noTrunc, human)
			if quiet {
				for _, r := range rows {
					fmt.Fprintln(g.stdout, r.ID)
				}
				return nil
			}
			return printFormatted(g.stdout, format, "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}", rows)
		},
	}
	c.Flags().BoolVarP(&human, "human", "H", true, "Print sizes and dates in human readable format")
	c.Flags().BoolVar(&noTrunc, "no-trunc", false, "Don't truncate output")
	c.Flags().BoolVarP(&quiet, "quiet", "q", false, "Only show image IDs")
	c.Flags().StringVar(&format, "format", "", formatUsage)
	return c
}

func historyRows(hist []engine.HistoryEntry, noTrunc, human bool) []historyRow {
	rows := make([]historyRow, 0, len(hist))
	for _, h := range hist {
		r := historyRow{ID: h.ID, CreatedAt: h.Created.Format(time.RFC3339), CreatedBy: h.CreatedBy, Comment: h.Comment}
		if !noTrunc {
			if strings.HasPrefix(r.ID, "sha256:") {
				r.ID = r.ID[7:19]
			}
			if len(r.CreatedBy) > 45 {
				r.CreatedBy = r.CreatedBy[:44] + "…"
			}
		}
		if human {
			r.CreatedSince = ago(h.Created)
			r.Size = humanSize(h.Size)
		} else {
			r.CreatedSince = r.CreatedAt
			r.Size = fmt.Sprint(h.Size)
		}
		rows = append(rows, r)
	}
	return rows
}
