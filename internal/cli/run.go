package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/creack/pty"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/geedocker/geedocker/internal/engine"
	"github.com/geedocker/geedocker/internal/reference"
	"github.com/geedocker/geedocker/internal/registry"
	"github.com/geedocker/geedocker/internal/seccomp"
	"github.com/geedocker/geedocker/internal/spec"
)

// runFlags are `docker run`'s options.
type runFlags struct {
	name, pull, platform            string
	rm, interactive, tty, detach    bool
	restart                         string
	logOpts                         []string
	publish, aliases, dns           []string
	dnsSearch, dnsOptions, addHosts []string
	publishAll                      bool
	ip                              string
	env, envFiles                   []string
	entrypoint                      string
	workdir, user, hostname         string
	readOnly, init, privileged      bool
	tmpfs, volumes                  []string
	mounts, volumesFrom             []string
	network                         string
	capAdd, capDrop, securityOpts   []string
	userns                          string
	runtime                         string
	memory, memorySwap              bytesValue
	cpus                            cpusValue
	pidsLimit, cpuShares            int64
	cpusetCpus                      string
	devices                         deviceFlag
	deviceRules                     deviceRuleFlag
	meta                            metaFlags // --label, --cidfile, --stop-signal … (create.go)

	ulimits                    ulimitFlag
	sysctls, groupAdd          []string
	shmSize, memoryReservation bytesValue
	pid, ipc, uts, cgroupns    string
	cpuQuota, cpuPeriod        int64
	blkioWeight                uint16
	oomKillDisable             bool
	oomScoreAdj                int
	health                     healthFlags

	legacy legacyRunFlags // --expose, --mac-address, --log-driver, --link (run_legacy.go)
}

// bytesValue is a flag holding a size such as "256m".
type bytesValue struct{ n int64 }

func (b *bytesValue) String() string {
	if b.n == 0 {
		return ""
	}
	return fmt.Sprint(b.n)
}
func (b *bytesValue) Set(s string) error {
	if s == "-1" {
		b.n = -1
		return nil
	}
	n, err := spec.ParseMemory(s)
	if err != nil {
		return err
	}
	b.n = n
	return nil
}
func (b *bytesValue) Type() string { return "bytes" }

type cpusValue struct{ nano int64 }

func (c *cpusValue) String() string {
	if c.nano == 0 {
		return ""
	}
	return fmt.Sprintf("%g", float64(c.nano)/1e9)
}
func (c *cpusValue) Set(s string) error {
	n, err := spec.ParseCPUs(s)
	if err != nil {
		return err
	}
	c.nano = n
	return nil
}
func (c *cpusValue) Type() string { return "decimal" }

func newRunCmd(g *globals) *cobra.Command {
	var o runFlags
	c := &cobra.Command{
		Use:   "run [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create and run a new container from an image",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return runRun(c, g, &o, args)
		},
	}
	o.addFlags(c.Flags(), true)
	return c
}

// addFlags registers the options of run and create (with run: run's own as well), so that
// both commands take the same ones.
func (o *runFlags) addFlags(f *pflag.FlagSet, run bool) {
	f.SetInterspersed(false)             // flags after IMAGE belong to the command
	f.Bool("help", false, "Print usage") // -h is --hostname, as in Docker
	f.StringVar(&o.name, "name", "", "Assign a name to the container")
	f.BoolVar(&o.rm, "rm", false, "Automatically remove the container when it exits")
	if run {
		f.BoolVarP(&o.detach, "detach", "d", false, "Run container in background and print container ID")
	}
	f.StringVar(&o.restart, "restart", "no", "Restart policy to apply when a container exits (no, on-failure[:N], always, unless-stopped)")
	f.StringArrayVar(&o.logOpts, "log-opt", nil, "Log driver options (max-size, max-file)")
	f.BoolVarP(&o.interactive, "interactive", "i", false, "Keep STDIN open even if not attached")
	f.BoolVarP(&o.tty, "tty", "t", false, "Allocate a pseudo-TTY")
	f.StringArrayVarP(&o.env, "env", "e", nil, "Set environment variables")
	f.StringArrayVar(&o.envFiles, "env-file", nil, "Read in a file of environment variables")
	f.StringVar(&o.entrypoint, "entrypoint", "", "Overwrite the default ENTRYPOINT of the image")
	f.StringVarP(&o.workdir, "workdir", "w", "", "Working directory inside the container")
	f.StringVarP(&o.user, "user", "u", "", "Username or UID (format: <name|uid>[:<group|gid>])")
	f.StringVarP(&o.hostname, "hostname", "h", "", "Container host name")
	f.BoolVar(&o.readOnly, "read-only", false, "Mount the container's root filesystem as read only")
	f.StringArrayVar(&o.tmpfs, "tmpfs", nil, "Mount a tmpfs directory")
	f.StringArrayVarP(&o.volumes, "volume", "v", nil, "Bind mount a volume")
	f.StringArrayVar(&o.mounts, "mount", nil, "Attach a filesystem mount to the container")
	f.StringArrayVar(&o.volumesFrom, "volumes-from", nil, "Mount volumes from the specified container(s)")
	f.BoolVar(&o.init, "init", false, "Run an init inside the container that forwards signals and reaps processes")
	f.StringVar(&o.network, "network", "bridge", "Connect a container to a network (bridge, none, host, container:NAME, or a network's name)")
	f.StringVar(&o.network, "net", "bridge", "Alias of --network")
	f.StringVar(&o.userns, "userns", "", "User namespace to use (host: none of its own, with userns-remap)")
	f.StringVar(&o.runtime, "runtime", "", "Runtime to use for this container")
	f.StringArrayVarP(&o.publish, "publish", "p", nil, "Publish a container's port(s) to the host ([HOST_IP:]HOST_PORT:CONTAINER_PORT[/PROTO])")
	f.BoolVarP(&o.publishAll, "publish-all", "P", false, "Publish all exposed ports to random ports")
	f.StringVar(&o.ip, "ip", "", "IPv4 address (on a user-defined network)")
	f.Var(newCheckedList(&o.aliases, checkAlias), "network-alias", "Add network-scoped alias for the container")
	f.Var(newCheckedList(&o.dns, spec.ValidateIPAddress), "dns", "Set custom DNS servers")
	f.Var(newCheckedList(&o.dnsSearch, spec.ValidateDNSSearch), "dns-search", "Set custom DNS search domains")
	f.Var(newCheckedList(&o.dnsOptions, spec.ValidateDNSOption), "dns-option", "Set DNS options")
	f.Var(newCheckedList(&o.dnsOptions, spec.ValidateDNSOption), "dns-opt", "Alias of --dns-option")
	f.Var(newCheckedList(&o.addHosts, spec.ValidateExtraHost), "add-host", "Add a custom host-to-IP mapping (host:ip)")
	f.Var(&o.cpus, "cpus", "Number of CPUs")
	f.VarP(&o.memory, "memory", "m", "Memory limit")
	f.Var(&o.memory, "mem", "Alias of --memory")
	f.Var(&o.memorySwap, "memory-swap", "Swap limit equal to memory plus swap: '-1' to enable unlimited swap")
	f.Int64Var(&o.pidsLimit, "pids-limit", 0, "Tune container pids limit (set -1 for unlimited)")
	f.Int64Var(&o.pidsLimit, "pids", 0, "Alias of --pids-limit")
	f.Int64VarP(&o.cpuShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	f.StringVar(&o.cpusetCpus, "cpuset-cpus", "", "CPUs in which to allow execution (0-3, 0,1)")
	f.StringArrayVar(&o.capAdd, "cap-add", nil, "Add Linux capabilities")
	f.StringArrayVar(&o.capDrop, "cap-drop", nil, "Drop Linux capabilities")
	f.BoolVar(&o.privileged, "privileged", false, "Give extended privileges to this container")
	f.Var(&o.devices, "device", "Add a host device to the container (HOST[:CONTAINER[:PERMS]])")
	f.Var(&o.deviceRules, "device-cgroup-rule", "Add a rule to the cgroup allowed devices list")
	f.StringArrayVar(&o.securityOpts, "security-opt", nil, "Security options (no-new-privileges, seccomp=unconfined, seccomp=PROFILE.json)")
	addHostFlags(f, o)
	f.StringVar(&o.pull, "pull", engine.PullMissing, `Pull image before running ("always", "missing", "never")`)
	f.StringVar(&o.platform, "platform", "", "Set platform if server is multi-platform capable")
	o.meta.addFlags(f, run)
	o.health.register(f)
	o.legacy.add(f)
	f.VisitAll(func(fl *pflag.Flag) {
		if strings.HasPrefix(fl.Usage, "Alias of") {
			fl.Hidden = true
		}
	})
}

func runRun(c *cobra.Command, g *globals, o *runFlags, args []string) error {
	if err := o.meta.checkRun(o.detach); err != nil {
		return err
	}
	if err := checkTTY(g, o.interactive && !o.detach, o.tty); err != nil {
		return err
	}
	e, ro, err := o.runOptions(c, g, args)
	if err != nil {
		return err
	}
	cid, err := newCIDFile(o.meta.cidfile)
	if err != nil {
		return err
	}
	defer cid.close()
	ro.Created = cid.write
	if o.detach {
		ro.Stdout, ro.Stderr = nil, nil
		if o.interactive {
			ro.Stdin = strings.NewReader("") // marks OpenStdin; the monitor holds stdin open
		}
		ct, err := e.Create(c.Context(), ro)
		if err != nil {
			return &StatusError{Code: 125, Err: err}
		}
		cid.write(ct.ID)
		if err := e.StartDetached(c.Context(), ct.ID, g.args()); err != nil {
			removeFailed(e, ct.ID, o.rm, err)
			return startErr(err)
		}
		fmt.Fprintln(g.stdout, ct.ID)
		return nil
	}
	if o.tty || !o.meta.sigProxy {
		// A terminal session goes through a monitor, so that Ctrl-P Ctrl-Q
		// can detach from it and leave the container running; so does a run
		// whose signals are not for the container (--sig-proxy=false): a signal
		// ends this command and leaves the container running, as Docker's.
		if o.interactive {
			ro.Stdin = strings.NewReader("")
		}
		ro.Stdout, ro.Stderr = nil, nil
		ct, err := e.Create(c.Context(), ro)
		if err != nil {
			return &StatusError{Code: 125, Err: err}
		}
		cid.write(ct.ID)
		client, err := e.StartAttached(c.Context(), ct.ID, g.args())
		if err != nil {
			removeFailed(e, ct.ID, o.rm, err)
			return startErr(err)
		}
		return attachSession(c.Context(), client, sessionOptions{
			tty: o.tty, stdin: o.interactive, keys: o.meta.keys.bytes(),
			stdout: o.meta.attached("stdout"), stderr: o.meta.attached("stderr"),
		})
	}
	if o.interactive { // -i attaches stdin, whatever -a says (as Docker's)
		ro.Stdin = os.Stdin
	}
	if !o.meta.attached("stdout") {
		ro.Stdout = nil
	}
	if !o.meta.attached("stderr") {
		ro.Stderr = nil
	}
	// Signals reach the container, not GeeDocker (docker run --sig-proxy).
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2)
	defer signal.Stop(sigs)

	res, err := e.Run(context.WithoutCancel(c.Context()), ro, sigs)
	if err != nil {
		if se := startErr(err); se != err {
			return se
		}
		return &StatusError{Code: 125, Err: err}
	}
	if res.Code != 0 {
		return &StatusError{Code: res.Code}
	}
	return nil
}

// runOptions turns the flags and arguments (IMAGE [COMMAND] [ARG...]) of run and create
// into what the engine creates, and opens the engine.
func (o *runFlags) runOptions(c *cobra.Command, g *globals, args []string) (*engine.Engine, engine.RunOptions, error) {
	so, err := o.specOptions(args[1:], c.Flags().Changed("entrypoint"))
	if err != nil {
		return nil, engine.RunOptions{}, &StatusError{Code: 125, Err: err}
	}
	var platform *v1.Platform
	if o.platform != "" {
		p, err := registry.ParsePlatform(o.platform)
		if err != nil {
			return nil, engine.RunOptions{}, flagError{err}
		}
		platform = &p
	}
	labels, err := o.meta.labels()
	if err != nil {
		return nil, engine.RunOptions{}, &StatusError{Code: 125, Err: err}
	}
	if err := o.checkNamespaceFlags(); err != nil {
		return nil, engine.RunOptions{}, err
	}
	e, err := g.engine()
	if err != nil {
		return nil, engine.RunOptions{}, &StatusError{Code: 125, Err: err}
	}
	ro := engine.RunOptions{
		Image: args[0], Name: o.name, Pull: o.pull, Remove: o.rm, Spec: so, Userns: o.userns, Runtime: o.runtime,
		Restart: o.restart, LogOpts: o.logOpts, Mounts: o.mounts, VolumesFrom: o.volumesFrom,
		Publish: o.publish, PublishAll: o.publishAll, IP: o.ip, Aliases: o.aliases,
		DNS: o.dns, DNSSearch: o.dnsSearch, DNSOptions: o.dnsOptions, ExtraHosts: o.addHosts,
		Stdout: os.Stdout, Stderr: os.Stderr,
		PullImage: func(ctx context.Context, ref string) error {
			if o.pull != engine.PullAlways {
				fmt.Fprintf(g.stderr, "Unable to find image '%s' locally\n", familiarOrRaw(ref))
			}
			pg := *g
			pg.stdout = g.stderr // the container owns stdout
			_, err := runPull(c, &pg, e, ref, pullOptions{platform: o.platform, maxConcurrent: 3})
			return err
		},
	}
	ro.Platform = platform
	if err := o.legacy.apply(&ro); err != nil {
		return nil, engine.RunOptions{}, &StatusError{Code: 125, Err: err}
	}
	o.hostRunOptions(&ro, g)
	if ro.Healthcheck, err = o.health.config(); err != nil {
		return nil, engine.RunOptions{}, &StatusError{Code: 125, Err: err}
	}
	ro.Labels, ro.StopSignal = labels, o.meta.stopSignal
	if !o.detach { // as the docker CLI records them: a detached run attaches nothing
		ro.AttachStdin = o.interactive || o.meta.attach["stdin"]
		ro.AttachStdout, ro.AttachStderr = o.meta.attached("stdout"), o.meta.attached("stderr")
	}
	if c.Flags().Changed("stop-timeout") {
		t := o.meta.stopTimeout
		ro.StopTimeout = &t
	}
	return e, ro, nil
}

// consoleSize is the size of the caller's terminal on stdin, for the container's terminal
// when tty is set; nil otherwise.
func consoleSize(tty bool) *specs.Box {
	if !tty {
		return nil
	}
	w, h, err := term.GetSize(int(os.Stdin.Fd()))
	if err != nil || w <= 0 || h <= 0 {
		return nil
	}
	return &specs.Box{Height: uint(h), Width: uint(w)}
}

// attachTerminal connects the host terminal to the container's console:
// raw mode, input and output copied, window size followed. It returns a
// function restoring the terminal, and a channel closed when all output has
// been copied.
func attachTerminal(console *os.File, interactive bool, log io.Writer) (func(), chan struct{}) {
	done := make(chan struct{})
	var restoreFns []func()
	stdinFd := int(os.Stdin.Fd())
	if term.IsTerminal(stdinFd) {
		if state, err := term.MakeRaw(stdinFd); err == nil {
			restoreFns = append(restoreFns, func() { term.Restore(stdinFd, state) })
		}
		resize := func() {
			if w, h, err := term.GetSize(stdinFd); err == nil {
				pty.Setsize(console, &pty.Winsize{Rows: uint16(h), Cols: uint16(w)})
			}
		}
		resize()
		winch := make(chan os.Signal, 1)
		signal.Notify(winch, syscall.SIGWINCH)
		go func() {
			for range winch {
				resize()
			}
		}()
		restoreFns = append(restoreFns, func() { signal.Stop(winch); close(winch) })
	}
	if interactive {
		go io.Copy(console, os.Stdin)
	}
	go func() {
		io.Copy(io.MultiWriter(os.Stdout, log), console) // ends with EIO when the container's side closes
		close(done)
	}()
	return func() {
		for _, f := range restoreFns {
			f()
		}
		console.Close()
	}, done
}

// specOptions turns the flags into the spec's options.
func (o *runFlags) specOptions(cmd []string, entrypointSet bool) (spec.Options, error) {
	env := o.env
	for _, path := range o.envFiles {
		f, err := os.Open(path)
		if err != nil {
			return spec.Options{}, fmt.Errorf("open %s: no such file or directory", path)
		}
		kvs, err := spec.ParseEnvFile(f)
		f.Close()
		if err != nil {
			return spec.Options{}, err
		}
		env = append(kvs, env...)
	}
	so := spec.Options{
		Hostname: o.hostname, Cmd: cmd, Env: spec.ResolveEnv(env, os.LookupEnv),
		WorkingDir: o.workdir, User: o.user, Terminal: o.tty, ReadOnly: o.readOnly,
		ConsoleSize: consoleSize(o.tty),
		Privileged:  o.privileged, Init: o.init, CapAdd: o.capAdd, CapDrop: o.capDrop,
		Tmpfs: o.tmpfs, Binds: o.volumes, Network: o.network,
		Resources: spec.Resources{
			NanoCPUs: o.cpus.nano, Memory: o.memory.n, MemorySwap: o.memorySwap.n,
			PidsLimit: o.pidsLimit, CPUShares: o.cpuShares, CpusetCpus: o.cpusetCpus,
		},
		Devices: o.devices.list, DeviceCgroupRules: o.deviceRules.list,
	}
	o.hostOptions(&so)
	if entrypointSet {
		ep := []string{}
		if o.entrypoint != "" {
			ep = []string{o.entrypoint}
		}
		so.Entrypoint = &ep
	}
	for _, opt := range o.securityOpts {
		switch opt {
		case "no-new-privileges", "no-new-privileges:true", "no-new-privileges=true":
			so.NoNewPrivileges = true
			continue
		case "no-new-privileges:false", "no-new-privileges=false":
			continue
		}
		key, val, ok := strings.Cut(opt, "=")
		if !ok {
			key, val, ok = strings.Cut(opt, ":") // Docker's old separator
		}
		if !ok || key != "seccomp" || val == "" {
			return so, fmt.Errorf("invalid --security-opt: %q", opt)
		}
		var err error
		if so.Seccomp, err = readSeccompOpt(val); err != nil {
			return so, err
		}
		if so.Seccomp != seccomp.Unconfined && so.Seccomp != seccomp.Builtin {
			so.SeccompFile = val
		}
	}
	return so, nil
}

// readSeccompOpt is the value of --security-opt seccomp=VAL: "unconfined", "builtin", or
// the content of the profile file VAL, compacted, as the docker CLI sends it to dockerd.
func readSeccompOpt(val string) (string, error) {
	if val == seccomp.Unconfined || val == seccomp.Builtin {
		return val, nil
	}
	b, err := os.ReadFile(val)
	if err != nil {
		return "", fmt.Errorf("opening seccomp profile (%s) failed: %w", val, err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return "", fmt.Errorf("compacting json for seccomp profile (%s) failed: %w", val, err)
	}
	return buf.String(), nil
}

func familiarOrRaw(s string) string {
	if r, err := reference.Parse(s); err == nil {
		return r.Familiar()
	}
	return s
}

// removeFailed removes a container that run created but could not start,
// when it asked for --rm or when GeeDocker itself failed (a port taken, a
// network error): nothing is left behind. A command that could not be run
// (126, 127) leaves the container created, as Docker does.
func removeFailed(e *engine.Engine, id string, rm bool, err error) {
	var se *engine.StartError
	if rm || !errors.As(err, &se) || se.Code == 125 {
		e.Remove(id, true)
	}
}
