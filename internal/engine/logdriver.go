package engine

import (
	"context"
	"errors"
	"io"
	"path/filepath"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/logs"
)

// ErrLogNotReadable is Docker's answer to `logs` of a container whose log driver keeps
// nothing to read (none).
var ErrLogNotReadable = errors.New("configured logging driver does not support reading")

// LogFile says where a container's log is and in which format (logs.JSONFile or
// logs.Local): the json-file log is LogPath, as Docker's, and the local driver's is
// local-logs/container.log in the container's directory, where Docker keeps it (its
// LogPath is empty, as Docker's). ErrLogNotReadable for the none driver.
func (e *Engine) LogFile(c *container.Container) (path, driver string, err error) {
	switch c.HostConfig.LogConfig.Type {
	case logs.None:
		return "", logs.None, ErrLogNotReadable
	case logs.Local:
		cs, err := e.Containers()
		if err != nil {
			return "", "", err
		}
		return localLogPath(cs.Dir(c.ID)), logs.Local, nil
	}
	return c.LogPath, logs.JSONFile, nil
}

func localLogPath(dir string) string { return filepath.Join(dir, "local-logs", "container.log") }

// ReadLogs is logs.Read of the container's log, in its driver's format.
func (e *Engine) ReadLogs(ctx context.Context, c *container.Container, o logs.ReadOptions, stdout, stderr io.Writer, done <-chan struct{}) error {
	path, driver, err := e.LogFile(c)
	if err != nil {
		return err
	}
	o.Driver = driver
	return logs.Read(ctx, path, o, stdout, stderr, done)
}
