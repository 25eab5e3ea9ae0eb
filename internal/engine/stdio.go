package engine

import (
	"io"
	"os"
)

// The caller's own stdio never reaches a container: a file handed over as it is could be
// reopened through /proc/self/fd/N (to read, truncate or rewrite what the caller redirected
// from or to) or kept open after the command returned. Like Docker, the container gets pipes
// and the engine copies between them and the caller's stdio.

// copiedWriter hides an *os.File (and any other concrete type) behind a plain io.Writer, so
// that the runtime gives the container a pipe and copies from it; the process's Wait returns
// once that copy has read everything.
type copiedWriter struct{ w io.Writer }

func (c copiedWriter) Write(p []byte) (int, error) { return c.w.Write(p) }

// pipedWriter returns w wrapped so that the container writes to a pipe; nil stays nil (the
// runtime's /dev/null).
func pipedWriter(w io.Writer) io.Writer {
	if w == nil {
		return nil
	}
	return copiedWriter{w}
}

// stdinPipe returns the read end of a pipe fed from r, for the container's stdin, and a
// function the caller runs once the process has started (or failed to): it closes this
// process's copy of the read end. The copy closes the write end at the end of r, so the
// container sees end of file; when the container is gone first, the copy ends at its next
// write. The copy is not waited for: a terminal that stays silent must not hold up the exit.
func stdinPipe(r io.Reader) (*os.File, func(), error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	go func() {
		_, _ = io.Copy(pw, r)
		pw.Close()
	}()
	return pr, func() { pr.Close() }, nil
}
