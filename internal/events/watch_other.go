//go:build !linux

package events

import "time"

// watcher wakes a reader four times a second (no inotify here).
type watcher struct {
	C    <-chan time.Time
	tick *time.Ticker
}

func watch(string) (*watcher, error) {
	t := time.NewTicker(250 * time.Millisecond)
	return &watcher{C: t.C, tick: t}, nil
}

func (w *watcher) Close() { w.tick.Stop() }
