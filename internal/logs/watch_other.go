//go:build !linux

package logs

import "time"

// pollInterval is how often the fallback watcher reports a possible change.
const pollInterval = 250 * time.Millisecond

// watcher is the portable fallback of the inotify watcher: with no change
// notification to listen to, it reports a possible change on every tick and
// Read looks for new entries then.
type watcher struct {
	ticker  *time.Ticker
	changes chan struct{}
	stop    chan struct{}
	exited  chan struct{}
}

func newWatcher(dir, base string) (*watcher, error) {
	w := &watcher{
		ticker:  time.NewTicker(pollInterval),
		changes: make(chan struct{}, 1),
		stop:    make(chan struct{}),
		exited:  make(chan struct{}),
	}
	go w.run()
	return w, nil
}

func (w *watcher) Changes() <-chan struct{} { return w.changes }

// Errors never receives: ticking cannot fail.
func (w *watcher) Errors() <-chan error { return nil }

func (w *watcher) Close() error {
	close(w.stop)
	<-w.exited
	w.ticker.Stop()
	return nil
}

func (w *watcher) run() {
	defer close(w.exited)
	for {
		select {
		case <-w.stop:
			return
		case <-w.ticker.C:
			select {
			case w.changes <- struct{}{}:
			default:
			}
		}
	}
}
