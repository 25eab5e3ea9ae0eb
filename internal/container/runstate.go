package container

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/geedocker/geedocker/internal/proc"
)

// RunRoot holds the runtime state of running containers. It is on tmpfs, so
// a reboot empties it: a record that says "running" without a state file
// here is known to be dead.
var RunRoot = "/run/geedocker"

// RunState says which processes hold a running container: its monitor (the
// process that waits for it, records its exit and cleans up) and its PID 1.
// Start times (from /proc/<pid>/stat) make the check immune to PID reuse.
type RunState struct {
	MonitorPid   int    `json:"monitorPid"`
	MonitorStart uint64 `json:"monitorStart"`
	Pid          int    `json:"pid"`
	PidStart     uint64 `json:"pidStart"`
}

// RunDir is the runtime state directory of this store root: one per root,
// so that two roots never see each other's containers.
func (s *Store) RunDir() string {
	sum := sha256.Sum256([]byte(s.root))
	return filepath.Join(RunRoot, hex.EncodeToString(sum[:8]))
}

// AttachSocket is the path of the attach socket that a container's monitor serves.
func (s *Store) AttachSocket(id string) string { return filepath.Join(s.RunDir(), id[:12]+".sock") }

func (s *Store) runStatePath(id string) string { return filepath.Join(s.RunDir(), id+".json") }

// WriteRunState records the processes of a running container. No fsync: the
// file lives on tmpfs.
func (s *Store) WriteRunState(id string, rs RunState) error {
	if err := os.MkdirAll(s.RunDir(), 0o700); err != nil {
		return err
	}
	b, _ := json.Marshal(rs)
	tmp := s.runStatePath(id) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, s.runStatePath(id))
}

// ReadRunState reads it; ok is false when there is none.
func (s *Store) ReadRunState(id string) (rs RunState, ok bool) {
	b, err := os.ReadFile(s.runStatePath(id))
	if err != nil {
		return rs, false
	}
	return rs, json.Unmarshal(b, &rs) == nil
}

// RemoveRunState forgets the processes of a container (and a write of them cut short).
func (s *Store) RemoveRunState(id string) {
	os.Remove(s.runStatePath(id))
	os.Remove(s.runStatePath(id) + ".tmp")
}

// ProcessStart returns the start time of a process, in clock ticks since boot (package proc).
func ProcessStart(pid int) (uint64, error) { return proc.StartTime(pid) }

// Alive reports whether the process pid that started at start still runs (a zombie counts
// as gone; package proc).
func Alive(pid int, start uint64) bool { return proc.Alive(pid, start) }
