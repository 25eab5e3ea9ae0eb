package cgroups

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// sys is what a manager does beyond reading and writing cgroup files.
// Tests replace it, so that a fake tree never signals real processes.
type sys struct {
	// kill sends SIGKILL to one process.
	kill func(pid int) error
	// rmdir removes one cgroup directory (the kernel drops its files).
	rmdir func(dir string) error
	// timeout bounds each wait of Kill and Destroy.
	timeout time.Duration
	// devices makes f the device filter of the v2 cgroup at dir.
	devices func(dir string, f DeviceFilter) error
}

func hostSys() sys {
	return sys{
		kill:    func(pid int) error { return unix.Kill(pid, unix.SIGKILL) },
		rmdir:   unix.Rmdir,
		timeout: 10 * time.Second,
		devices: setDeviceFilter,
	}
}

// writeFile writes value to an existing control file. It never creates the
// file: a missing file means a missing controller and must be an error.
func writeFile(dir, file, value string) error {
	p := filepath.Join(dir, file)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return fmt.Errorf("writing %q to %s: %w", value, p, bare(err))
	}
	_, err = f.WriteString(value)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %q to %s: %w", value, p, bare(err))
	}
	return nil
}

// bare drops the operation and path from a *fs.PathError, which the message
// around it already names; errors.Is still sees the errno.
func bare(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// readFile returns a control file's content without surrounding space.
func readFile(dir, file string) (string, error) {
	p := filepath.Join(dir, file)
	b, err := os.ReadFile(p)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", p, bare(err))
	}
	return strings.TrimSpace(string(b)), nil
}

// readUint reads a file holding one number; "max" reads as 0 (no limit).
func readUint(dir, file string) (uint64, error) {
	s, err := readFile(dir, file)
	if err != nil {
		return 0, err
	}
	if s == "max" {
		return 0, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parsing %s: %w", filepath.Join(dir, file), err)
	}
	return v, nil
}

// readKey reads the number after key in a file of "key value" lines, such
// as memory.stat, memory.events or cpu.stat. found is false without the key.
func readKey(dir, file, key string) (v uint64, found bool, err error) {
	s, err := readFile(dir, file)
	if err != nil {
		return 0, false, err
	}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		k, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || k != key {
			continue
		}
		v, err := strconv.ParseUint(strings.TrimSpace(value), 10, 64)
		if err != nil {
			return 0, false, fmt.Errorf("parsing %q in %s: %w", key, filepath.Join(dir, file), err)
		}
		return v, true, nil
	}
	return 0, false, nil
}

// readProcs lists the pids in dir/cgroup.procs.
func readProcs(dir string) ([]int, error) {
	s, err := readFile(dir, "cgroup.procs")
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, f := range strings.Fields(s) {
		pid, err := strconv.Atoi(f)
		if err != nil || pid <= 0 {
			return nil, fmt.Errorf("parsing %s: bad pid %q", filepath.Join(dir, "cgroup.procs"), f)
		}
		pids = append(pids, pid)
	}
	return pids, nil
}

// mkdir makes one cgroup directory; it reports whether it was new.
func mkdir(dir string) (created bool, err error) {
	err = os.Mkdir(dir, 0o755)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// await polls cond, a little slower each time, until it is true, fails, or
// timeout passes. The kernel gives no notification we could block on for
// "frozen", "empty" or "removable" on v1, so both versions poll.
func await(timeout time.Duration, what string, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	delay := time.Millisecond
	for {
		done, err := cond()
		if err != nil || done {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(delay)
		delay = min(2*delay, 50*time.Millisecond)
	}
}

// killer describes how to empty one cgroup.
type killer struct {
	dir string // holds cgroup.procs
	// round kills the listed pids (or the whole cgroup at once).
	round func(pids []int) error
	// freeze and thaw stop and restart the cgroup's tasks; both nil when the
	// kernel has no freezer. freeze returns once the cgroup is frozen.
	freeze, thaw func() error
}

// killAll empties the cgroup: while frozen (so nothing forks, exits or gets
// its pid reused) it kills every listed pid, thaws, then repeats kill
// rounds until cgroup.procs is empty. It returns nil for a missing cgroup.
func (s sys) killAll(k killer) error {
	pids, err := readProcs(k.dir)
	if errors.Is(err, fs.ErrNotExist) || err == nil && len(pids) == 0 {
		return nil
	}
	if err != nil {
		return fmt.Errorf("killing cgroup %s: %w", k.dir, err)
	}
	if k.freeze != nil {
		// Best effort: if freezing fails or hangs (a task stuck in the
		// kernel), the rounds below still converge, only less atomically.
		_ = k.freeze()
		pids, err := readProcs(k.dir)
		if err == nil {
			err = k.round(pids)
		}
		// Always thaw: on v1 a frozen task does not die, even of SIGKILL.
		if terr := k.thaw(); err == nil {
			err = terr
		}
		if err != nil {
			return fmt.Errorf("killing cgroup %s: %w", k.dir, err)
		}
	}
	err = await(s.timeout, "cgroup "+k.dir+" to be empty", func() (bool, error) {
		pids, err := readProcs(k.dir)
		if errors.Is(err, fs.ErrNotExist) { // removed meanwhile: empty
			return true, nil
		}
		if err != nil || len(pids) == 0 {
			return true, err
		}
		return false, k.round(pids)
	})
	if err != nil {
		return fmt.Errorf("killing cgroup %s: %w", k.dir, err)
	}
	return nil
}

// killEach is the round for cgroups without cgroup.kill: SIGKILL every pid.
// A pid that exited in the meantime is not an error.
func (s sys) killEach(pids []int) error {
	for _, pid := range pids {
		if err := s.kill(pid); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("sending SIGKILL to pid %d: %w", pid, err)
		}
	}
	return nil
}

// remove removes cgroup directories, waiting (once, for all of them) while
// the kernel still counts dying tasks in some (EBUSY). Missing directories
// are not an error.
func (s sys) remove(dirs ...string) error {
	var busy []string
	var errs []error
	err := await(s.timeout, "cgroup to be removable", func() (bool, error) {
		busy = busy[:0]
		for _, d := range dirs {
			err := s.rmdir(d)
			switch {
			case err == nil || errors.Is(err, fs.ErrNotExist):
			case errors.Is(err, unix.EBUSY):
				busy = append(busy, d)
			default:
				errs = append(errs, fmt.Errorf("removing cgroup %s: %w", d, err))
			}
		}
		dirs = slices.Clone(busy)
		return len(dirs) == 0, nil
	})
	if err != nil {
		errs = append(errs, fmt.Errorf("removing cgroup %s: still busy: %w", strings.Join(busy, ", "), err))
	}
	return errors.Join(errs...)
}
