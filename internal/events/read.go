package events

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"time"
)

// Read gives fn the events of the journal as Docker's GET /events does:
//
//   - with since or until set, first the recorded events from since to until (either
//     end open when zero);
//   - then, unless until has passed, each event as it is recorded, until ctx ends or
//     until passes.
//
// An error of fn ends the reading and is returned; the end of ctx or of until is not an
// error.
func (j *Journal) Read(ctx context.Context, since, until time.Time, fn func(Message) error) error {
	follow := until.IsZero() || until.After(time.Now())
	var w *watcher
	if follow {
		if err := os.MkdirAll(j.dir, 0o700); err != nil {
			return err
		}
		var err error
		// Watched before the file is opened: nothing written after the open is missed.
		if w, err = watch(j.dir); err != nil {
			return err
		}
		defer w.Close()
	}
	cur, err := openJournalFile(j.path())
	if err != nil {
		return err
	}
	defer func() { cur.Close() }()
	deliver := func(m Message) error {
		if !since.IsZero() && m.When().Before(since) {
			return nil
		}
		if !until.IsZero() && m.When().After(until) {
			return nil
		}
		return fn(m)
	}
	if !since.IsZero() || !until.IsZero() {
		old, err := openJournalFile(j.oldPath())
		if err != nil {
			return err
		}
		// Rotated between the two opens: the file opened first is the older one now.
		if old.f != nil && !cur.same(old.f) {
			err = old.lines(deliver)
		}
		old.Close()
		if err != nil {
			return err
		}
		if err := cur.lines(deliver); err != nil {
			return err
		}
	} else if err := cur.skip(); err != nil {
		return err
	}
	if !follow {
		return nil
	}
	var deadline <-chan time.Time
	if !until.IsZero() {
		t := time.NewTimer(time.Until(until))
		defer t.Stop()
		deadline = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-deadline:
			return nil
		case <-w.C:
		}
		if err := cur.lines(deliver); err != nil {
			return err
		}
		fi, err := os.Stat(j.path())
		if err != nil || cur.sameInfo(fi) {
			continue
		}
		// Rotated: the file held is complete (writers append only to the new one).
		if err := cur.lines(deliver); err != nil {
			return err
		}
		cur.Close()
		if cur, err = openJournalFile(j.path()); err != nil {
			return err
		}
		if err := cur.lines(deliver); err != nil {
			return err
		}
	}
}

// journalFile is a journal file being read: what was read past its last complete line
// waits in pending.
type journalFile struct {
	f       *os.File
	pending []byte
}

// openJournalFile opens a journal file; a missing one reads as empty.
func openJournalFile(path string) (*journalFile, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return &journalFile{}, nil
	}
	if err != nil {
		return nil, err
	}
	return &journalFile{f: f}, nil
}

func (jf *journalFile) Close() {
	if jf.f != nil {
		jf.f.Close()
	}
}

// same says whether jf holds the file f holds.
func (jf *journalFile) same(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && jf.sameInfo(fi)
}

func (jf *journalFile) sameInfo(fi os.FileInfo) bool {
	if jf.f == nil {
		return false
	}
	mine, err := jf.f.Stat()
	return err == nil && os.SameFile(mine, fi)
}

// skip moves to the end of the file.
func (jf *journalFile) skip() error {
	if jf.f == nil {
		return nil
	}
	_, err := jf.f.Seek(0, io.SeekEnd)
	return err
}

// lines gives fn each complete line from where the last call stopped; lines that are not
// an event are skipped.
func (jf *journalFile) lines(fn func(Message) error) error {
	if jf.f == nil {
		return nil
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := jf.f.Read(buf)
		if n > 0 {
			jf.pending = append(jf.pending, buf[:n]...)
			for {
				i := bytes.IndexByte(jf.pending, '\n')
				if i < 0 {
					break
				}
				var m Message
				if json.Unmarshal(jf.pending[:i], &m) == nil && m.Type != "" {
					if ferr := fn(m); ferr != nil {
						jf.pending = jf.pending[i+1:]
						return ferr
					}
				}
				jf.pending = jf.pending[i+1:]
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
