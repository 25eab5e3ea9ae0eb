// Package logs keeps a container's stdout and stderr the way Docker's
// json-file log driver does, and reads them back for `geedocker logs`.
//
// # The file
//
// A log is a file of JSON objects, one a line, byte for byte as Docker
// writes them:
//
//	{"log":"hello\n","stream":"stdout","time":"2026-11-27T16:20:01.123456789Z"}
//
// "log" holds the bytes of one line with its newline, or a piece of a line
// without one: a line longer than 16 KiB is cut into 16 KiB pieces, and the
// unterminated end of a stream is written as is when the stream ends. The
// string is escaped as Docker escapes it: `"` and `\` with a backslash, \n
// and \r by name, other control characters and < > & as \u00XX, U+2028 and
// U+2029 as \u2028 and \u2029, and every byte that is not valid UTF-8 as
// \ufffd (so such bytes come back as U+FFFD, as they do from Docker).
// "time" is the UTC wall clock in RFC 3339 with nanoseconds.
//
// # Writing
//
// NewWriter opens (or creates, mode 0640) the file in append mode; Stream
// gives one io.Writer per stream. Each Write cuts the bytes into entries and
// appends them with one write(2) under the Writer's lock, so entries of the
// two streams interleave in the order they were written and none is torn by
// another. A write error never blocks the container: the entry is dropped,
// Write still reports success, and the first error is returned by Close.
// Close writes the unterminated rest of every stream and closes the file.
//
// With Options.MaxSize, an entry that would make the file larger than
// MaxSize first rotates it: path.(MaxFile-2) is renamed to path.(MaxFile-1)
// (replacing the oldest), …, path to path.1, and a new path is created. With
// MaxFile 1 the full file is removed instead. A single entry larger than
// MaxSize still goes whole into a fresh file.
//
// # Reading
//
// Read opens every file of the log up front (path.N … path.1, then path, so
// oldest first) and writes each entry's bytes to stdout or stderr as its
// stream says, filtered by Since and Until and cut to the last Tail entries.
// A line that is not a JSON entry (left by a crash mid-write) is skipped.
//
// With Follow, Read first watches the directory (inotify on Linux), then
// reads what is there, then reads again after every change. At the end of
// the current file it compares the file at path with the one it holds: when
// they differ the log was rotated, so it reads the held file to its end
// (the writer is done with it) and moves on to the files written after it,
// found by identity among path.N … path. (A writer that rotates through
// all MaxFile files while Read is busy drops a file before Read opens it;
// its entries are lost, as with Docker.) It returns when ctx is cancelled
// (with ctx's error), or, after reading what is left, when done is closed or
// Until has passed. Callers close done only after the Writer is closed, so
// that nothing is left unread.
package logs
