package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/engine"
)

// statsRow is one line of `stats`, and the object of --format.
type statsRow struct {
	BlockIO   string `header:"BLOCK I/O"`
	CPUPerc   string `header:"CPU %"`
	Container string
	ID        string `header:"CONTAINER ID"`
	MemPerc   string `header:"MEM %"`
	MemUsage  string `header:"MEM USAGE / LIMIT"`
	Name      string
	NetIO     string `header:"NET I/O"`
	PIDs      string `header:"PIDS"`
}

const statsTable = "table {{.ID}}\\t{{.Name}}\\t{{.CPUPerc}}\\t{{.MemUsage}}\\t{{.MemPerc}}\\t{{.NetIO}}\\t{{.BlockIO}}\\t{{.PIDs}}"

// cpuSample is a container's CPU time at a moment, for CPU %.
type cpuSample struct {
	cpu uint64
	at  time.Time
}

// newStatsCmd is `stats`: a container's usage from its cgroup and its
// network namespace, redrawn every second (in place on a terminal) until
// interrupted, or until every container named is gone.
func newStatsCmd(g *globals) *cobra.Command {
	var noStream, all, noTrunc bool
	var format string
	c := &cobra.Command{
		Use:   "stats [OPTIONS] [CONTAINER...]",
		Short: "Display a live stream of container(s) resource usage statistics",
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			e, err := g.engine()
			if err != nil {
				return err
			}
			for _, a := range args {
				if _, err := e.Container(a); err != nil {
					return err
				}
			}
			f, isFile := g.stdout.(*os.File)
			redraw := !noStream && isFile && term.IsTerminal(int(f.Fd()))
			samples := map[string]cpuSample{}
			for frame := 0; ; frame++ {
				targets, err := statsTargets(e, args, all)
				if err != nil {
					return err
				}
				if len(args) > 0 && len(targets) == 0 {
					return nil // every container named was removed
				}
				if frame == 0 {
					// CPU % is measured over an interval, as docker stats does.
					for _, t := range targets {
						if st, err := e.Stats(t.c); err == nil && t.c.State.Running {
							samples[t.c.ID] = cpuSample{st.CPUUsage, time.Now()}
						}
					}
					if err := sleepCtx(ctx, 500*time.Millisecond); err != nil {
						return err
					}
				}
				var rows []statsRow
				for _, t := range targets {
					rows = append(rows, statsRowOf(e, t.c, t.ref, noTrunc, samples))
				}
				var buf bytes.Buffer
				if err := printFormatted(&buf, format, statsTable, rows); err != nil {
					return err
				}
				if redraw {
					writeInPlace(g.stdout, buf.String(), frame == 0)
				} else {
					g.stdout.Write(buf.Bytes())
				}
				if noStream {
					return nil
				}
				if err := sleepCtx(ctx, time.Second); err != nil {
					return err
				}
			}
		},
	}
	f := c.Flags()
	f.BoolVar(&noStream, "no-stream", false, "Disable streaming stats and only pull the first result")
	f.BoolVarP(&all, "all", "a", false, "Show all containers (default shows just running)")
	f.BoolVar(&noTrunc, "no-trunc", false, "Do not truncate output")
	f.StringVar(&format, "format", "", formatUsage)
	return c
}

type statsTarget struct {
	c   *container.Container
	ref string // as the user named it; the short ID otherwise
}

// statsTargets are the containers of this frame: those named that still
// exist, or every running one (every one with -a).
func statsTargets(e *engine.Engine, args []string, all bool) ([]statsTarget, error) {
	var out []statsTarget
	if len(args) > 0 {
		for _, a := range args {
			ct, err := e.Container(a)
			if errors.Is(err, container.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			out = append(out, statsTarget{ct, a})
		}
		return out, nil
	}
	list, err := e.ListContainers()
	if err != nil {
		return nil, err
	}
	for _, ct := range list {
		if all || ct.State.Running {
			out = append(out, statsTarget{ct, ct.ID[:12]})
		}
	}
	return out, nil
}

func statsRowOf(e *engine.Engine, ct *container.Container, ref string, noTrunc bool, samples map[string]cpuSample) statsRow {
	id := ct.ID
	if !noTrunc {
		id = id[:12]
	}
	r := statsRow{Container: ref, ID: id, Name: ct.Name}
	if !ct.State.Running {
		r.CPUPerc, r.MemUsage, r.MemPerc, r.NetIO, r.BlockIO, r.PIDs = "0.00%", "0B / 0B", "0.00%", "0B / 0B", "0B / 0B", "0"
		return r
	}
	st, err := e.Stats(ct)
	if err != nil {
		r.CPUPerc, r.MemUsage, r.MemPerc, r.NetIO, r.BlockIO, r.PIDs = "--", "-- / --", "--", "-- / --", "-- / --", "--"
		return r
	}
	now := time.Now()
	cpu := 0.0
	if s, ok := samples[ct.ID]; ok && now.After(s.at) && st.CPUUsage >= s.cpu {
		cpu = float64(st.CPUUsage-s.cpu) / float64(now.Sub(s.at).Nanoseconds()) * 100
	}
	samples[ct.ID] = cpuSample{st.CPUUsage, now}
	limit := st.MemoryLimit
	if limit == 0 {
		limit = hostMemory()
	}
	used := st.MemoryUsage - min(st.MemoryUsage, st.MemoryInactiveFile)
	r.CPUPerc = fmt.Sprintf("%.2f%%", cpu)
	r.MemUsage = binarySize(used) + " / " + binarySize(limit)
	r.MemPerc = fmt.Sprintf("%.2f%%", float64(used)/float64(max(limit, 1))*100)
	r.NetIO = humanSize(int64(st.NetRx)) + " / " + humanSize(int64(st.NetTx))
	r.BlockIO = humanSize(int64(st.BlockRead)) + " / " + humanSize(int64(st.BlockWrite))
	r.PIDs = fmt.Sprint(st.Pids)
	return r
}

// writeInPlace draws a frame over the last one on a terminal: the cursor
// goes home, each line clears what is left of the old one, and what is left
// below is cleared (the first frame clears the screen).
func writeInPlace(w io.Writer, frame string, first bool) {
	var b strings.Builder
	if first {
		b.WriteString("\033[2J")
	}
	b.WriteString("\033[H")
	b.WriteString(strings.ReplaceAll(frame, "\n", "\033[K\n"))
	b.WriteString("\033[J")
	io.WriteString(w, b.String())
}

// sleepCtx waits d, or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
