package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/geedocker/geedocker/internal/engine"
	"github.com/geedocker/geedocker/internal/reference"
	"github.com/geedocker/geedocker/internal/registry"
)

type pullOptions struct {
	platform      string
	quiet         bool
	maxConcurrent int
}

func newPullCmd(g *globals) *cobra.Command {
	var o pullOptions
	c := &cobra.Command{
		Use:   "pull [OPTIONS] NAME[:TAG|@DIGEST]",
		Short: "Download an image from a registry",
		Args:  exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			_, err = runPull(c, g, e, args[0], o)
			return err
		},
	}
	c.Flags().StringVar(&o.platform, "platform", "", "Set platform if server is multi-platform capable (os/arch[/variant])")
	c.Flags().BoolVarP(&o.quiet, "quiet", "q", false, "Suppress verbose output")
	c.Flags().IntVar(&o.maxConcurrent, "max-concurrent-downloads", 3, "Number of layers downloaded in parallel")
	c.Flags().BoolP("all-tags", "a", false, "Download all tagged images in the repository (not supported)")
	return c
}

// runPull pulls one image and prints Docker's progress and summary. It is
// shared by `pull` and `run` (which pulls missing images).
func runPull(c *cobra.Command, g *globals, e *engine.Engine, name string, o pullOptions) (*engine.PullResult, error) {
	if all, _ := c.Flags().GetBool("all-tags"); all {
		return nil, flagError{fmt.Errorf("--all-tags is not supported")}
	}
	ref, err := reference.Parse(name)
	if err != nil {
		return nil, err
	}
	po := engine.PullOptions{MaxConcurrent: o.maxConcurrent}
	if o.maxConcurrent < 1 {
		return nil, flagError{fmt.Errorf("invalid --max-concurrent-downloads %d: must be at least 1", o.maxConcurrent)}
	}
	if o.platform != "" {
		p, err := registry.ParsePlatform(o.platform)
		if err != nil {
			return nil, flagError{err}
		}
		po.Platform = &p
	}
	out := g.stdout
	var prog progressPrinter
	if !o.quiet {
		what := ref.Tag
		if ref.Digest != "" {
			what = ref.Digest
		}
		fmt.Fprintf(out, "%s: Pulling from %s\n", what, ref.Path)
		if f, ok := out.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			prog = newBarPrinter(out)
		} else {
			prog = &linePrinter{w: out, last: map[string]string{}}
		}
		po.Resolved = prog.start
		po.Progress = prog.update
	}
	res, err := e.Pull(c.Context(), ref, po)
	if prog != nil {
		prog.stop()
	}
	if err != nil {
		return nil, err
	}
	if o.quiet {
		fmt.Fprintln(out, ref.String())
		return res, nil
	}
	fmt.Fprintf(out, "Digest: %s\n", res.Digest)
	if res.Updated {
		fmt.Fprintf(out, "Status: Downloaded newer image for %s\n", ref.Familiar())
	} else {
		fmt.Fprintf(out, "Status: Image is up to date for %s\n", ref.Familiar())
	}
	fmt.Fprintln(out, ref.String())
	return res, nil
}

// progressPrinter shows layer progress.
type progressPrinter interface {
	start(layers []string)
	update(engine.Progress)
	stop()
}

// linePrinter prints a line per status change, as docker pull does when
// stdout is not a terminal.
type linePrinter struct {
	w    io.Writer
	last map[string]string
}

func (p *linePrinter) start([]string) {}
func (p *linePrinter) stop()          {}
func (p *linePrinter) update(pr engine.Progress) {
	if pr.Status == engine.StatusDownloading || pr.Status == engine.StatusExtracting || p.last[pr.ID] == pr.Status {
		return
	}
	p.last[pr.ID] = pr.Status
	fmt.Fprintf(p.w, "%s: %s\n", pr.ID, pr.Status)
}
