package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/dns"
	"github.com/geedocker/geedocker/internal/events"
	"github.com/geedocker/geedocker/internal/holder"
)

// Command runs one of the hidden commands of geedocker-init that the detached monitor
// runs as its hooks (holder.ExecHooks), and returns its exit status:
//
//	geedocker-init --engine GEEDOCKER --root ROOT [--config-file FILE] COMMAND ARGS...
//
//	container-start ID [--prepared] [--restart]   fds: 3 the report (holder.Report), 4 and 5
//	                                              the container's stdout and stderr, 6 its stdin
//	container-oom ID
//	container-exited ID --exit-code N [--oom] [--oom-reported] [--oci-runtime PATH
//	                 [--oci-runtime-arg ARG]...]   prints "restart MS" or "exit"
//	container-exited ID --start-failed --error MESSAGE
//	container-stopped ID
//	container-dns DIR                             prints the resolver's pid, 0 for none
func Command(args []string, stdout, stderr io.Writer) int {
	err := command(args, stdout)
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, strings.ReplaceAll(err.Error(), "\n", " "))
	return startCode(err)
}

func command(args []string, stdout io.Writer) error {
	gfs := flag.NewFlagSet("geedocker-init", flag.ContinueOnError)
	gfs.SetOutput(io.Discard)
	engine := gfs.String("engine", "", "the geedocker binary")
	root := gfs.String("root", "", "the store root")
	configFile := gfs.String("config-file", "", "geedocker's config file")
	if err := gfs.Parse(args); err != nil {
		return err
	}
	if gfs.NArg() < 2 || *engine == "" || *root == "" {
		return errors.New("usage: geedocker-init --engine GEEDOCKER --root ROOT [--config-file FILE] COMMAND ARG [FLAGS]")
	}
	cmd, arg := gfs.Arg(0), gfs.Arg(1)
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	prepared := fs.Bool("prepared", false, "the first start is prepared: its Start is on stdin")
	restart := fs.Bool("restart", false, "a restart after a back-off")
	var ex Exit
	fs.IntVar(&ex.Code, "exit-code", 0, "the exit code of PID 1")
	fs.BoolVar(&ex.OOMKilled, "oom", false, "the container was OOM-killed")
	fs.BoolVar(&ex.OOMReported, "oom-reported", false, "the OOM kill was recorded as it happened")
	startFailed := fs.Bool("start-failed", false, "the start command died")
	msg := fs.String("error", "", "why the start failed")
	var rt OCIRuntime
	fs.StringVar(&rt.Path, "oci-runtime", "", "the OCI runtime that ran the container")
	fs.Func("oci-runtime-arg", "a global option of the OCI runtime", func(s string) error {
		rt.Args = append(rt.Args, s)
		return nil
	})
	if err := fs.Parse(gfs.Args()[2:]); err != nil {
		return err
	}
	if cmd == holder.DNSCommand {
		dns.Program = *engine // the resolver is geedocker's, not this program's
		pid, err := dns.Ensure(arg)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, pid)
		return nil
	}
	cs, err := container.Open(*root)
	if err != nil {
		return err
	}
	global := []string{"--root", *root}
	if *configFile != "" {
		global = append(global, "--config-file", *configFile)
	}
	s := &Starter{Store: cs, ID: arg, Hooks: ExecHooks{Engine: *engine, Global: global, ID: arg},
		Events: events.Open(*root), MonitorPid: os.Getppid()}
	switch cmd {
	case holder.StartCommand:
		return startCommand(s, *prepared, *restart)
	case holder.OOMCommand:
		s.OOM()
		return nil
	case holder.StoppedCommand:
		s.Stopped()
		return nil
	case holder.ExitedCommand:
		if rt.Path != "" {
			rt.Name = rt.Path
			rt.command("delete", "--force", arg).Run()
		}
		if *startFailed {
			// The start command died half-way: nothing runs.
			s.before = container.State{Status: container.Exited}
			s.restoreRecord(errors.New(*msg), 125)
			cs.RemoveRunState(arg)
			s.Hooks.Exited(Exit{Code: 125, StartFailed: true})
			fmt.Fprintln(stdout, Next{}.String())
			return nil
		}
		next, err := s.Exited(ex)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, next.String())
		return nil
	}
	return fmt.Errorf("unknown command %q", cmd)
}

// startCommand is container-start: it starts the container with the monitor's pipes, sends
// the report (with the terminal) on fd 3 and waits for the monitor's byte before it exits
// (then PID 1 becomes the monitor's child).
func startCommand(s *Starter, prepared, restart bool) error {
	report := os.NewFile(3, "report")
	if report == nil {
		return errors.New("container-start needs the monitor's socket on fd 3")
	}
	defer report.Close()
	sio := holder.StartIO{Stdout: os.NewFile(4, "stdout"), Stderr: os.NewFile(5, "stderr")}
	if isOpen(6) {
		sio.Stdin = os.NewFile(6, "stdin")
	}
	if prepared {
		s.First = new(Start)
		if err := json.NewDecoder(os.Stdin).Decode(s.First); err != nil {
			err = fmt.Errorf("reading the prepared start: %w", err)
			s.Hooks.Exited(Exit{Code: 125, StartFailed: true})
			return sendReport(report, &holder.Report{Err: &StartError{Code: 125, Err: err}}, nil)
		}
	}
	started, err := s.Start(context.Background(), restart, sio)
	rep := &holder.Report{Err: err}
	var console *os.File
	if err == nil {
		rep.Pid = pidOf(started.Process)
		rep.LogPath, rep.Log, rep.OOM, rep.Health, rep.DNSDir, rep.Refused =
			started.LogPath, started.Log, started.OOM, started.Health, started.DNSDir, started.Refused
		console = started.Console
		if s.oci != nil {
			rep.ExitArgs = append(rep.ExitArgs, "--oci-runtime", s.oci.rt.Path)
			for _, a := range s.oci.rt.Args {
				rep.ExitArgs = append(rep.ExitArgs, "--oci-runtime-arg", a)
			}
		}
	}
	return sendReport(report, rep, console)
}

// pidOf is the pid of PID 1 as the start gave it.
func pidOf(p holder.Process) int {
	switch p := p.(type) {
	case runtimeProcess:
		return p.p.Pid
	case *ociProcess:
		return p.pid
	}
	return 0
}
