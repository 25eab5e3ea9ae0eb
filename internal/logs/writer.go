package logs

import "github.com/geedocker/geedocker/internal/logs/logfile"

// Writer appends entries to one log (package logfile).
type Writer = logfile.Writer

// NewWriter opens the log at path for appending (logfile.NewWriter).
func NewWriter(path string, o Options) (*Writer, error) { return logfile.NewWriter(path, o) }
