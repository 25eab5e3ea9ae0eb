package runccli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/creack/pty"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"github.com/geedocker/geedocker/internal/oom"
	"github.com/geedocker/geedocker/internal/runc"
	"github.com/geedocker/geedocker/internal/runtime"
)

// exitCode is an error that carries the exit code of a command (run, exec), silently.
type exitCode int

func (e exitCode) Error() string { return "exit status " + strconv.Itoa(int(e)) }

// Main runs geedocker-runc with args (without argv[0]) and returns the exit code.
func Main(args []string) int {
	stderr := os.Stderr
	g, rest, err := parseGlobals(args, runc.DefaultRoot)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if g.Version {
		fmt.Fprintf(os.Stdout, "geedocker-runc version %s\nspec: %s\n", Version, specs.Version)
		return 0
	}
	err = run(g, rest)
	var code exitCode
	if errors.As(err, &code) {
		return int(code)
	}
	if err != nil {
		msg := err.Error()
		if g.Log != "" {
			if f, ferr := os.OpenFile(g.Log, os.O_WRONLY|os.O_APPEND|os.O_CREATE|unix.O_CLOEXEC, 0o644); ferr == nil {
				_, _ = f.Write(logLine(g.LogFormat, "error", msg, time.Now()))
				f.Close()
			}
		}
		fmt.Fprintln(stderr, "geedocker-runc: "+msg)
		return 1
	}
	return 0
}

func run(g Globals, args []string) error {
	if g.SystemdCgroup {
		return errors.New("--systemd-cgroup is not supported: geedocker-runc manages cgroups through cgroupfs only")
	}
	if len(args) == 0 || args[0] == "help" {
		fmt.Fprint(os.Stdout, usage)
		return nil
	}
	s := runc.Store{Root: g.Root}
	ctx := context.Background()
	cmd, args := args[0], args[1:]
	switch cmd {
	case "create":
		return create(ctx, s, args, false)
	case "run":
		return create(ctx, s, args, true)
	case "start":
		if err := needArgs(cmd, args, 1, 1); err != nil {
			return err
		}
		return s.Start(ctx, args[0])
	case "state":
		if err := needArgs(cmd, args, 1, 1); err != nil {
			return err
		}
		st, err := s.State(args[0])
		if err != nil {
			return err
		}
		return printJSON(st, true)
	case "kill":
		return kill(s, args)
	case "delete":
		return del(ctx, s, args)
	case "exec":
		return execCmd(ctx, s, args)
	case "ps":
		return ps(s, args)
	case "list":
		return list(s, args)
	case "pause", "resume":
		if err := needArgs(cmd, args, 1, 1); err != nil {
			return err
		}
		if cmd == "pause" {
			return s.Pause(args[0])
		}
		return s.Resume(args[0])
	case "update":
		return update(s, args)
	case "events":
		return events(s, args)
	case "features":
		return printJSON(runtimeFeatures(), true)
	case "spec":
		return specCmd(args)
	}
	return &usageError{fmt.Sprintf("no such command: %s", cmd)}
}

const usage = `geedocker-runc: an OCI runtime with runc's command line

Usage: geedocker-runc [--root DIR] [--log FILE] [--log-format text|json] [--debug] COMMAND [OPTIONS] ID

Commands: create, start, run, state, kill, delete, exec, ps, list, pause, resume, update,
          events, features, spec
`

func printJSON(v any, indent bool) error {
	var b []byte
	var err error
	if indent {
		b, err = json.MarshalIndent(v, "", "  ")
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(append(b, '\n'))
	return err
}

func create(ctx context.Context, s runc.Store, args []string, runNow bool) error {
	name := "create"
	if runNow {
		name = "run"
	}
	fs := newFlags(name, os.Stderr)
	var o runc.CreateOpts
	var noPivot, noNewKeyring, detach, noSubreaper bool
	var preserve int
	stringFlag(fs, &o.Bundle, "", "path to the root of the bundle directory", "bundle", "b")
	stringFlag(fs, &o.PidFile, "", "file to write the process id to", "pid-file")
	stringFlag(fs, &o.ConsoleSocket, "", "Unix socket to receive the pty master", "console-socket")
	boolFlag(fs, &noPivot, "ignored: the root is always pivoted", "no-pivot")
	boolFlag(fs, &noNewKeyring, "ignored: no session keyring is made", "no-new-keyring")
	boolFlag(fs, &detach, "detach from the container's process", "detach", "d")
	boolFlag(fs, &noSubreaper, "ignored", "no-subreaper")
	fs.IntVar(&preserve, "preserve-fds", 0, "pass N additional file descriptors to the container")
	if err := fs.Parse(args); err != nil {
		return &usageError{err.Error()}
	}
	if err := needArgs(name, fs.Args(), 1, 1); err != nil {
		return err
	}
	o.ID = fs.Arg(0)
	o.Stdin, o.Stdout, o.Stderr = os.Stdin, os.Stdout, os.Stderr
	var err error
	if o.PreserveFiles, err = preservedFiles(preserve); err != nil {
		return err
	}
	if !runNow {
		_, err = s.Create(ctx, o)
		return err
	}
	o.NoGate = true
	if detach && o.ConsoleSocket == "" {
		if spec, err := runc.LoadSpec(bundleOr(o.Bundle)); err == nil && spec.Process.Terminal {
			return errors.New("cannot allocate a terminal without --console-socket when the container is detached")
		}
	}
	sigs := make(chan os.Signal, 16)
	if !detach {
		signal.Notify(sigs)
		defer signal.Stop(sigs)
	}
	p, err := s.Create(ctx, o)
	if err != nil {
		return err
	}
	if detach {
		return nil
	}
	go forwardSignals(sigs, p)
	if p.Console != nil {
		restore := attachConsole(p.Console)
		defer restore()
	}
	st, err := p.Wait()
	if derr := s.Delete(ctx, o.ID, true); err == nil {
		err = derr
	}
	if err != nil {
		return err
	}
	return exitCode(st.Code)
}

// preservedFiles are this process's descriptors 3 to 3+n-1, for --preserve-fds n: each must
// be open.
func preservedFiles(n int) ([]*os.File, error) {
	if n < 0 {
		return nil, &usageError{fmt.Sprintf("invalid value %d for --preserve-fds", n)}
	}
	var files []*os.File
	for fd := 3; fd < 3+n; fd++ {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
			return nil, fmt.Errorf("--preserve-fds %d: descriptor %d is not open", n, fd)
		}
		files = append(files, os.NewFile(uintptr(fd), "preserved-fd-"+strconv.Itoa(fd)))
	}
	return files, nil
}

func bundleOr(b string) string {
	if b == "" {
		return "."
	}
	return b
}

// forwardSignals passes the signals runc forwards to the container's process.
func forwardSignals(sigs chan os.Signal, p *runtime.Process) {
	for sig := range sigs {
		switch sig {
		case unix.SIGCHLD, unix.SIGURG, unix.SIGPIPE:
			continue
		case unix.SIGWINCH:
			if p.Console != nil {
				_ = pty.InheritSize(os.Stdin, p.Console)
			}
			continue
		}
		_ = p.Signal(sig)
	}
}

// attachConsole copies between the terminal's master and our stdio, with our terminal raw.
func attachConsole(console *os.File) func() {
	var restore func()
	if term.IsTerminal(int(os.Stdin.Fd())) {
		_ = pty.InheritSize(os.Stdin, console)
		if old, err := term.MakeRaw(int(os.Stdin.Fd())); err == nil {
			restore = func() { _ = term.Restore(int(os.Stdin.Fd()), old) }
		}
	}
	go func() { _, _ = io.Copy(console, os.Stdin) }()
	done := make(chan struct{})
	go func() { _, _ = io.Copy(os.Stdout, console); close(done) }()
	return func() {
		<-done
		console.Close()
		if restore != nil {
			restore()
		}
	}
}

func kill(s runc.Store, args []string) error {
	fs := newFlags("kill", os.Stderr)
	var all bool
	boolFlag(fs, &all, "send the signal to all processes of the container", "all", "a")
	if err := fs.Parse(args); err != nil {
		return &usageError{err.Error()}
	}
	if err := needArgs("kill", fs.Args(), 1, 2); err != nil {
		return err
	}
	sig := unix.SIGTERM
	if fs.NArg() == 2 {
		var err error
		if sig, err = parseSignal(fs.Arg(1)); err != nil {
			return err
		}
	}
	return s.Kill(fs.Arg(0), sig, all)
}

func del(ctx context.Context, s runc.Store, args []string) error {
	fs := newFlags("delete", os.Stderr)
	var force bool
	boolFlag(fs, &force, "kill and delete a running container", "force", "f")
	if err := fs.Parse(args); err != nil {
		return &usageError{err.Error()}
	}
	if err := needArgs("delete", fs.Args(), 1, -1); err != nil {
		return err
	}
	var errs []error
	for _, id := range fs.Args() {
		if err := s.Delete(ctx, id, force); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func execCmd(ctx context.Context, s runc.Store, args []string) error {
	fs := newFlags("exec", os.Stderr)
	var o runc.ExecOpts
	var processFile, cwd, user string
	var env, caps, gids stringList
	var tty, detach, noNewPrivs, ignorePaused bool
	var preserve int
	var label, apparmor, cgroup string
	stringFlag(fs, &o.ConsoleSocket, "", "Unix socket to receive the pty master", "console-socket")
	stringFlag(fs, &o.PidFile, "", "file to write the process id to", "pid-file")
	stringFlag(fs, &processFile, "", "path to a process.json", "process", "p")
	stringFlag(fs, &cwd, "", "current working directory in the container", "cwd")
	stringFlag(fs, &user, "", "UID[:GID]", "user", "u")
	stringFlag(fs, &label, "", "ignored", "process-label")
	stringFlag(fs, &apparmor, "", "ignored", "apparmor")
	stringFlag(fs, &cgroup, "", "ignored", "cgroup")
	listFlag(fs, &env, "set an environment variable", "env", "e")
	listFlag(fs, &caps, "add a capability", "cap", "c")
	listFlag(fs, &gids, "additional group ids", "additional-gids", "g")
	boolFlag(fs, &tty, "allocate a pseudo-TTY", "tty", "t")
	boolFlag(fs, &detach, "detach from the process", "detach", "d")
	boolFlag(fs, &noNewPrivs, "set no_new_privs", "no-new-privs")
	boolFlag(fs, &ignorePaused, "ignored", "ignore-paused")
	fs.IntVar(&preserve, "preserve-fds", 0, "pass N additional file descriptors")
	if err := fs.Parse(args); err != nil {
		return &usageError{err.Error()}
	}
	if err := needArgs("exec", fs.Args(), 1, -1); err != nil {
		return err
	}
	o.ID = fs.Arg(0)
	var err error
	if o.PreserveFiles, err = preservedFiles(preserve); err != nil {
		return err
	}
	var proc *specs.Process
	if processFile != "" {
		b, err := os.ReadFile(processFile)
		if err != nil {
			return fmt.Errorf("reading the process: %w", err)
		}
		proc = new(specs.Process)
		if err := json.Unmarshal(b, proc); err != nil {
			return fmt.Errorf("reading the process: %w", err)
		}
	} else {
		if fs.NArg() < 2 {
			return &usageError{"exec: a command or --process is required"}
		}
		st, err := s.State(o.ID)
		if err != nil {
			return err
		}
		spec, err := runc.LoadSpec(st.Bundle)
		if err != nil {
			return err
		}
		flags := ExecFlags{Args: fs.Args()[1:], Env: env, Cwd: cwd, User: user, Caps: caps, Gids: gids,
			Tty: tty, NoNewPrivs: noNewPrivs}
		if proc, err = flags.Process(spec.Process); err != nil {
			return err
		}
	}
	if proc.Terminal && o.ConsoleSocket == "" && detach {
		return errors.New("cannot allocate a terminal without --console-socket when detached")
	}
	o.Process = proc
	o.Stdin, o.Stdout, o.Stderr = os.Stdin, os.Stdout, os.Stderr
	var sigs chan os.Signal
	if !detach {
		sigs = make(chan os.Signal, 16)
		signal.Notify(sigs)
		defer signal.Stop(sigs)
	}
	p, err := s.Exec(ctx, o)
	if err != nil {
		return err
	}
	if detach {
		return nil
	}
	go forwardSignals(sigs, p)
	if p.Console != nil {
		restore := attachConsole(p.Console)
		defer restore()
	}
	st, err := p.Wait()
	if err != nil {
		return err
	}
	return exitCode(st.Code)
}

func ps(s runc.Store, args []string) error {
	fs := newFlags("ps", os.Stderr)
	var format string
	stringFlag(fs, &format, "table", "table or json", "format", "f")
	if err := fs.Parse(args); err != nil {
		return &usageError{err.Error()}
	}
	if err := needArgs("ps", fs.Args(), 1, -1); err != nil {
		return err
	}
	pids, err := s.Pids(fs.Arg(0))
	if err != nil {
		return err
	}
	switch format {
	case "json":
		if pids == nil {
			pids = []int{}
		}
		return printJSON(pids, false)
	case "table":
		psArgs := fs.Args()[1:]
		if len(psArgs) == 0 {
			psArgs = []string{"-ef"}
		}
		out, err := psTable(psArgs, pids)
		if err != nil {
			return err
		}
		_, err = os.Stdout.Write(out)
		return err
	}
	return &usageError{fmt.Sprintf("invalid format option %q", format)}
}

func list(s runc.Store, args []string) error {
	fs := newFlags("list", os.Stderr)
	var format string
	var quiet bool
	stringFlag(fs, &format, "table", "table or json", "format", "f")
	boolFlag(fs, &quiet, "display only container IDs", "quiet", "q")
	if err := fs.Parse(args); err != nil {
		return &usageError{err.Error()}
	}
	states, err := s.List()
	if err != nil {
		return err
	}
	for i := range states {
		states[i].Owner = ownerOf(filepath.Join(s.Root, states[i].ID))
	}
	if quiet {
		for _, st := range states {
			fmt.Fprintln(os.Stdout, st.ID)
		}
		return nil
	}
	switch format {
	case "json":
		if states == nil {
			states = []runc.State{}
		}
		return printJSON(states, false)
	case "table":
		w := tabwriter.NewWriter(os.Stdout, 12, 1, 3, ' ', 0)
		fmt.Fprint(w, "ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER\n")
		for _, st := range states {
			fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", st.ID, st.Pid, st.Status, st.Bundle,
				st.Created.Format(time.RFC3339Nano), st.Owner)
		}
		return w.Flush()
	}
	return &usageError{fmt.Sprintf("invalid format option %q", format)}
}

// ownerOf is the name of the user who owns the container's state directory, as runc's list
// shows it ("#UID" for a user without a name).
func ownerOf(dir string) string {
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		return ""
	}
	uid := strconv.FormatUint(uint64(st.Uid), 10)
	if u, err := user.LookupId(uid); err == nil {
		return u.Username
	}
	return "#" + uid
}

func specCmd(args []string) error {
	fs := newFlags("spec", os.Stderr)
	var bundle string
	var rootless bool
	stringFlag(fs, &bundle, "", "path to the root of the bundle directory", "bundle", "b")
	boolFlag(fs, &rootless, "not supported", "rootless")
	if err := fs.Parse(args); err != nil {
		return &usageError{err.Error()}
	}
	if rootless {
		return errors.New("--rootless is not supported")
	}
	p := filepath.Join(bundle, "config.json")
	if _, err := os.Stat(p); err == nil {
		return fmt.Errorf("file %s exists; remove it first", p)
	}
	b, err := json.MarshalIndent(DefaultSpec(), "", "\t")
	if err != nil {
		return err
	}
	return os.WriteFile(p, append(b, '\n'), 0o666)
}

// psTable runs ps with args and keeps its header and the lines of pids, as runc does.
func psTable(args []string, pids []int) ([]byte, error) {
	out, err := execOutput("ps", args...)
	if err != nil {
		// ps's own first line says what it did not like ("error: garbage option").
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if line, _, _ := strings.Cut(strings.TrimSpace(string(ee.Stderr)), "\n"); line != "" {
				return nil, fmt.Errorf("running ps: %w: %s", err, line)
			}
		}
		return nil, fmt.Errorf("running ps: %w", err)
	}
	return filterPs(out, pids)
}

// filterPs keeps the header of ps's output and the lines whose PID column is one of pids.
func filterPs(out []byte, pids []int) ([]byte, error) {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) == 0 {
		return nil, errors.New("ps printed nothing")
	}
	col := -1
	for i, h := range strings.Fields(lines[0]) {
		if h == "PID" {
			col = i
		}
	}
	if col < 0 {
		return nil, errors.New("no PID column in the output of ps")
	}
	want := map[string]bool{}
	for _, p := range pids {
		want[strconv.Itoa(p)] = true
	}
	var b strings.Builder
	b.WriteString(lines[0] + "\n")
	for _, l := range lines[1:] {
		if f := strings.Fields(l); len(f) > col && want[f[col]] {
			b.WriteString(l + "\n")
		}
	}
	return []byte(b.String()), nil
}

func update(s runc.Store, args []string) error {
	fs := newFlags("update", os.Stderr)
	var f UpdateFlags
	var resources string
	stringFlag(fs, &resources, "", "path to a resources JSON file, - for stdin", "resources", "r")
	stringFlag(fs, &f.Memory, "", "memory limit in bytes", "memory")
	stringFlag(fs, &f.MemorySwap, "", "memory plus swap limit in bytes", "memory-swap")
	stringFlag(fs, &f.MemoryReservation, "", "memory soft limit in bytes", "memory-reservation")
	stringFlag(fs, &f.CPUQuota, "", "CPU CFS quota", "cpu-quota")
	stringFlag(fs, &f.CPUShares, "", "CPU shares", "cpu-shares")
	stringFlag(fs, &f.CPUPeriod, "", "CPU CFS period", "cpu-period")
	stringFlag(fs, &f.CpusetCpus, "", "CPUs allowed", "cpuset-cpus")
	stringFlag(fs, &f.CpusetMems, "", "memory nodes allowed", "cpuset-mems")
	stringFlag(fs, &f.PidsLimit, "", "maximum number of pids", "pids-limit")
	stringFlag(fs, &f.BlkioWeight, "", "block IO weight", "blkio-weight")
	if err := fs.Parse(args); err != nil {
		return &usageError{err.Error()}
	}
	if err := needArgs("update", fs.Args(), 1, 1); err != nil {
		return err
	}
	var in io.Reader
	switch resources {
	case "":
	case "-":
		in = os.Stdin
	default:
		file, err := os.Open(resources)
		if err != nil {
			return fmt.Errorf("reading the resources: %w", err)
		}
		defer file.Close()
		in = file
	}
	res, err := f.Resources(in)
	if err != nil {
		return err
	}
	return s.Update(fs.Arg(0), res)
}

// events prints the container's usage as runc's stats event: once with --stats, otherwise
// every --interval, and an oom event as soon as the kernel OOM-kills a process of the
// container, until the container stops.
func events(s runc.Store, args []string) error {
	fs := newFlags("events", os.Stderr)
	var stats bool
	var interval time.Duration
	boolFlag(fs, &stats, "display the container's stats once, then exit", "stats")
	fs.DurationVar(&interval, "interval", 5*time.Second, "the interval between stats")
	if err := fs.Parse(args); err != nil {
		return &usageError{err.Error()}
	}
	if err := needArgs("events", fs.Args(), 1, 1); err != nil {
		return err
	}
	if interval <= 0 {
		return &usageError{"duration interval must be greater than 0"}
	}
	id := fs.Arg(0)
	printStats := func() error {
		st, err := s.Stats(id)
		if err != nil {
			return err
		}
		return printJSON(statsEvent(id, st), false)
	}
	if stats {
		return printStats()
	}
	cur, err := s.State(id)
	if err != nil {
		return err
	}
	if cur.Status == runc.Stopped {
		return fmt.Errorf("container with id %s is not running", id)
	}
	exited, err := waitExit(cur.Pid)
	if err != nil {
		return err
	}
	cg, err := s.OOMCgroup(id)
	if err != nil {
		return err
	}
	// OOM kills before now are not news.
	reported, _ := oom.Count(cg)
	ooms := make(chan struct{}, 1)
	stopWatch := oom.Watch(cg, func() {
		select {
		case ooms <- struct{}{}:
		default:
		}
	})
	defer stopWatch()
	// printOOM prints an oom event when the counter grew since the last one.
	printOOM := func() error {
		n, err := oom.Count(cg)
		if err != nil || n <= reported {
			return nil
		}
		reported = n
		return printJSON(event{Type: "oom", ID: id}, false)
	}
	// As runc: the first stats after one interval.
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ooms:
			if err := printOOM(); err != nil {
				return err
			}
		case <-tick.C:
			if err := printStats(); err != nil {
				return err
			}
		case <-exited:
			// The kill that ended the container may not have been reported yet.
			stopWatch()
			return printOOM()
		}
	}
}

// waitExit returns a channel closed when process pid ends (it need not be our child).
func waitExit(pid int) (<-chan struct{}, error) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return nil, fmt.Errorf("watching process %d: %w", pid, err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer unix.Close(fd)
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		for {
			if _, err := unix.Poll(fds, -1); err != unix.EINTR {
				return
			}
		}
	}()
	return done, nil
}
