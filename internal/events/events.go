// Package events is GeeDocker's event journal: Docker's events (`docker events`, GET
// /events) without a daemon to hold them.
//
// Whichever process causes an event records it — the CLI, `geedocker serve`, a container's
// monitor (start, die, oom) or its cleanup command (destroy of a --rm container) — by
// appending one JSON line to a journal under the store root:
//
//	<root>/events/events.log     the newest events, one Message per line
//	<root>/events/events.log.1   the file before it (rotated at MaxSize)
//	<root>/events/lock           the flock every writer holds while it appends or rotates
//
// A writer takes the lock, appends its line with one write(2), and renames a file that
// has grown past MaxSize to events.log.1 (replacing the one before), so the journal never
// holds more than about twice MaxSize. Readers take no lock: a reader that follows holds
// the file open, reads up to its last complete line, and sleeps on inotify until the
// directory changes; when the file has been rotated it reads the rest of the one it holds
// (now events.log.1) and goes on with the new one.
//
// The package links the standard library and the lockfile package only: the container's
// monitor, which must stay small, records events through it.
package events

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/geedocker/geedocker/internal/lockfile"
)

// The types of events, as Docker's.
const (
	Container = "container"
	Image     = "image"
	Network   = "network"
	Volume    = "volume"
	Builder   = "builder"
)

// Actor is what an event is about: its ID and attributes (name, image, labels …).
type Actor struct {
	ID         string
	Attributes map[string]string
}

// Message is one event, in the shape of Docker's events.Message (moby's
// api/types/events), so that its JSON is what Docker's clients read.
type Message struct {
	Type     string
	Action   string
	Actor    Actor
	Scope    string `json:"scope,omitempty"`
	Time     int64  `json:"time,omitempty"`
	TimeNano int64  `json:"timeNano,omitempty"`
}

// When is the time of m.
func (m Message) When() time.Time {
	if m.TimeNano != 0 {
		return time.Unix(0, m.TimeNano)
	}
	return time.Unix(m.Time, 0)
}

// MaxSize is the size at which the journal's file is rotated: two files of it hold a few
// thousand events.
const MaxSize = 1 << 20

// Journal is the event journal of one store root.
type Journal struct {
	dir     string
	maxSize int64
}

// Open returns the journal of the store at root; nothing is made until an event is
// recorded.
func Open(root string) *Journal {
	return &Journal{dir: filepath.Join(root, "events"), maxSize: MaxSize}
}

func (j *Journal) path() string    { return filepath.Join(j.dir, "events.log") }
func (j *Journal) oldPath() string { return filepath.Join(j.dir, "events.log.1") }

// Record appends an event of type typ, now, with the scope "local".
func (j *Journal) Record(typ, action, id string, attrs map[string]string) error {
	now := time.Now()
	return j.Append(Message{
		Type: typ, Action: action,
		Actor: Actor{ID: id, Attributes: attrs},
		Scope: "local", Time: now.Unix(), TimeNano: now.UnixNano(),
	})
}

// Append writes m at the end of the journal.
func (j *Journal) Append(m Message) error {
	if m.Actor.Attributes == nil {
		m.Actor.Attributes = map[string]string{}
	}
	line, err := json.Marshal(m)
	if err != nil {
		return err
	}
	line = append(line, '\n')
	if err := os.MkdirAll(j.dir, 0o700); err != nil {
		return fmt.Errorf("recording an event: %w", err)
	}
	l, err := lockfile.Acquire(filepath.Join(j.dir, "lock"), lockfile.Exclusive)
	if err != nil {
		return fmt.Errorf("recording an event: %w", err)
	}
	defer l.Unlock()
	f, err := os.OpenFile(j.path(), os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("recording an event: %w", err)
	}
	if torn(f) {
		// A writer killed mid-line left a line without its end: this event starts a line
		// of its own instead of being glued to it and lost.
		line = append([]byte{'\n'}, line...)
	}
	_, err = f.Write(line)
	var size int64
	if fi, serr := f.Stat(); serr == nil {
		size = fi.Size()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("recording an event: %w", err)
	}
	if size >= j.maxSize {
		if err := os.Rename(j.path(), j.oldPath()); err != nil {
			return fmt.Errorf("rotating the event journal: %w", err)
		}
	}
	return nil
}

// torn reports whether the journal file f does not end with a newline.
func torn(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		return false
	}
	var last [1]byte
	_, err = f.ReadAt(last[:], fi.Size()-1)
	return err == nil && last[0] != '\n'
}

// ContainerAttributes are the attributes of a container's events, as Docker gives them:
// its labels, image (as the user named it) and name, then extra key-value pairs (such as
// "exitCode", "0").
func ContainerAttributes(name, image string, labels map[string]string, extra ...string) map[string]string {
	a := make(map[string]string, len(labels)+2+len(extra)/2)
	for k, v := range labels {
		a[k] = v
	}
	a["image"] = image
	a["name"] = strings.TrimPrefix(name, "/")
	for i := 0; i+1 < len(extra); i += 2 {
		a[extra[i]] = extra[i+1]
	}
	return a
}
