package cli

import (
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// hostPSTable runs the host's ps with the user's options (`top CONTAINER [ps
// OPTIONS]`, as Docker's daemon does) and keeps the header and the lines of
// the container's processes, found by the PID column.
func hostPSTable(psArgs []string, pids []int) ([]string, [][]string, error) {
	out, err := exec.Command("ps", psArgs...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && len(strings.TrimSpace(string(ee.Stderr))) > 0 {
			first, _, _ := strings.Cut(strings.TrimSpace(string(ee.Stderr)), "\n")
			return nil, nil, fmt.Errorf("Error running ps: %s", first)
		}
		return nil, nil, fmt.Errorf("Error running ps: %w", err)
	}
	return parsePS(string(out), pids)
}

// parsePS is hostPSTable without running ps: the last column (the command)
// keeps its spaces.
func parsePS(out string, pids []int) ([]string, [][]string, error) {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	titles := strings.Fields(lines[0])
	pidCol := -1
	for i, t := range titles {
		if t == "PID" {
			pidCol = i
		}
	}
	if pidCol < 0 {
		return nil, nil, errors.New("Couldn't find PID field in ps output")
	}
	want := map[int]bool{}
	for _, p := range pids {
		want[p] = true
	}
	var rows [][]string
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) <= pidCol {
			continue
		}
		pid, err := strconv.Atoi(f[pidCol])
		if err != nil {
			return nil, nil, fmt.Errorf("Unexpected pid '%s': %s", f[pidCol], err)
		}
		if !want[pid] {
			continue
		}
		if len(f) > len(titles) {
			f = append(f[:len(titles)-1], strings.Join(f[len(titles)-1:], " "))
		}
		rows = append(rows, f)
	}
	return titles, rows, nil
}
