// Package proc knows a process by its pid and its start time (field 22 of /proc/PID/stat), so
// that a reused pid never passes for it, and waits for it or signals it through a pidfd. It
// links nothing but the system calls: the engine and the small long-lived monitor both use it.
package proc

import (
	"errors"
	"os"
	"strconv"
	"strings"
)

// stat returns the state (field 3) and the start time of pid.
func stat(pid int) (state string, start uint64, err error) {
	if pid <= 0 {
		return "", 0, errors.New("no process " + strconv.Itoa(pid))
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", 0, err
	}
	// The command name (field 2) may hold spaces and parentheses: skip past the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "", 0, errors.New("malformed /proc/" + strconv.Itoa(pid) + "/stat")
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 20 {
		return "", 0, errors.New("malformed /proc/" + strconv.Itoa(pid) + "/stat")
	}
	start, err = strconv.ParseUint(fields[19], 10, 64)
	return fields[0], start, err
}

// StartTime returns the start time of a process, in clock ticks since boot.
func StartTime(pid int) (uint64, error) {
	_, start, err := stat(pid)
	return start, err
}

// Alive reports whether the process pid that started at start still runs (a zombie counts
// as gone).
func Alive(pid int, start uint64) bool {
	state, got, err := stat(pid)
	return err == nil && state != "Z" && state != "X" && got == start
}
