package holder

import (
	"context"
	"time"

	"github.com/geedocker/geedocker/internal/proc"
)

// watchDNS keeps the resolver of the records directory dir running while the container
// runs: it waits on the resolver's pidfd, and starts it again (Hooks.EnsureDNS) when it has
// gone, so that a killed resolver answers again at once. The function returned ends the watch.
func (h *holder) watchDNS(dir string) (stop func()) {
	if dir == "" {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		retry := time.Second
		for ctx.Err() == nil {
			pid, err := h.cfg.Hooks.EnsureDNS(dir)
			if err != nil || pid <= 0 {
				// No resolver needed, or none could start: look again later.
				if !sleepCtx(ctx, retry) {
					return
				}
				retry = min(2*retry, 30*time.Second)
				continue
			}
			retry = time.Second
			proc.Wait(ctx, pid, 0)
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// sleepCtx waits d; false when ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
