package cli

import (
	"fmt"
	"io"
	"sync"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/geedocker/geedocker/internal/engine"
)

// barPrinter draws one live line per layer on a terminal, as docker pull.
type barPrinter struct {
	p      *mpb.Progress
	mu     sync.Mutex
	bars   map[string]*mpb.Bar
	status map[string]string
}

func newBarPrinter(w io.Writer) *barPrinter {
	return &barPrinter{
		p:      mpb.New(mpb.WithOutput(w), mpb.WithWidth(50)),
		bars:   map[string]*mpb.Bar{},
		status: map[string]string{},
	}
}

func (b *barPrinter) start(layers []string) {
	for _, id := range layers {
		b.status[id] = engine.StatusWaiting
		b.bars[id] = b.p.New(0, mpb.BarStyle().Lbound("[").Filler("=").Tip(">").Padding(" ").Rbound("]"),
			mpb.PrependDecorators(decor.Any(func(decor.Statistics) string {
				b.mu.Lock()
				defer b.mu.Unlock()
				return fmt.Sprintf("%s: %-18s", id, b.status[id])
			})),
			mpb.AppendDecorators(decor.OnComplete(decor.Counters(decor.SizeB1000(0), "% .1f / % .1f"), "")),
			mpb.BarFillerClearOnComplete(),
		)
	}
}

func (b *barPrinter) update(pr engine.Progress) {
	bar := b.bars[pr.ID]
	if bar == nil {
		return
	}
	b.mu.Lock()
	b.status[pr.ID] = pr.Status
	b.mu.Unlock()
	switch pr.Status {
	case engine.StatusComplete, engine.StatusExists:
		bar.SetTotal(-1, true)
	default:
		if pr.Total > 0 {
			bar.SetTotal(pr.Total, false)
			bar.SetCurrent(pr.Current)
		}
	}
}

func (b *barPrinter) stop() {
	for _, bar := range b.bars {
		if !bar.Completed() {
			bar.Abort(false)
		}
	}
	b.p.Wait()
}
