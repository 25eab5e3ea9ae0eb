package engine

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/geedocker/geedocker/internal/caps"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/errdefs"
	"github.com/geedocker/geedocker/internal/lockfile"
	"github.com/geedocker/geedocker/internal/logs"
	"github.com/geedocker/geedocker/internal/monitor"
	"github.com/geedocker/geedocker/internal/network"
	"github.com/geedocker/geedocker/internal/reference"
	"github.com/geedocker/geedocker/internal/runtime"
	"github.com/geedocker/geedocker/internal/seccomp"
	"github.com/geedocker/geedocker/internal/spec"
	"github.com/geedocker/geedocker/internal/store"
)

// Pull policies of `run --pull`.
const (
	PullMissing = "missing"
	PullAlways  = "always"
	PullNever   = "never"
)

// RunOptions are what `run` asks for.
type RunOptions struct {
	Image  string // as the user typed it
	Name   string
	Pull   string // PullMissing (default), PullAlways, PullNever
	Remove bool   // --rm
	// PullImage pulls a missing image (the CLI shows the progress).
	PullImage func(ctx context.Context, ref string) error
	// Spec holds the flags that shape the container; ID, Rootfs, Image and
	// the /etc file paths are filled in by the engine.
	Spec spec.Options
	// Userns is --userns: "host" opts out of the user namespace of userns-remap.
	Userns  string
	Runtime string   // --runtime; "" is the config's default-runtime
	Restart string   // --restart
	LogOpts []string // --log-opt
	// Mounts are the --mount values; VolumesFrom the --volumes-from ones.
	Mounts      []string
	VolumesFrom []string
	// Networking: -p, -P, --ip, --network-alias, --dns, --dns-search, --dns-option, --add-host.
	Publish    []string
	PublishAll bool
	IP         string
	Aliases    []string
	DNS        []string
	DNSSearch  []string
	DNSOptions []string
	ExtraHosts []string
	// Labels (--label, --label-file) are merged over the image's; StopSignal and
	// StopTimeout (--stop-signal, --stop-timeout; nil: none given) are what stop uses.
	Labels      map[string]string
	StopSignal  string
	StopTimeout *int
	// AttachStdin, AttachStdout, AttachStderr record the streams the client attaches
	// (Config.Attach*, as inspect shows them).
	AttachStdin, AttachStdout, AttachStderr bool
	// Platform (--platform), when not nil, is the platform the image must be for: an image
	// in the store for another one is pulled again (or, with PullNever, refused).
	Platform *v1.Platform
	// Stdio of the container (ignored with a terminal).
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// BaseImage, when set, is the image to run, already resolved (a build
	// step's state, which has no image record); Image is then its ID.
	BaseImage *store.Image
	// Created, when not nil, is told the container's ID once it exists, before it starts;
	// Exited, when not nil, is called once its command has ended, before it is cleaned up
	// (and, with Remove, removed): a build reads its upper directory there.
	Created func(id string)
	Exited  func(id string, code int)
	// GroupAdd are the --group-add values: group names of the image's /etc/group, or ids.
	GroupAdd []string
	// Warn, when not nil, is told each of Docker's warnings about the options (a setting
	// the host cannot apply and drops), once the container exists.
	Warn func(string)
	// Healthcheck is what the --health-* flags set over the image's HEALTHCHECK; nil: the image's.
	Healthcheck *container.HealthConfig

	// Expose are --expose ports ("80/tcp"), added to the image's; MacAddress is
	// --mac-address; LogDriver is --log-driver ("" is json-file); Links are --link values
	// (NAME[:ALIAS]).
	Expose     []string
	MacAddress string
	LogDriver  string
	Links      []string
}

// ExitStatus is how a container ended.
type ExitStatus struct {
	Code      int
	OOMKilled bool
}

// Containers returns the container record store.
func (e *Engine) Containers() (*container.Store, error) {
	return container.Open(e.Store.Root())
}

// imageForRun finds the image, pulling it as the policy says. With a platform, an image of
// another platform in the store counts as missing, as Docker's CLI has it.
func (e *Engine) imageForRun(ctx context.Context, o RunOptions) (*store.Image, error) {
	if o.BaseImage != nil {
		return o.BaseImage, nil
	}
	ref, err := reference.Parse(o.Image)
	if err != nil {
		if im, _, lerr := e.Lookup(o.Image); lerr == nil { // an image ID
			if err := e.checkPlatform(im, o.Image, o.Platform); err != nil {
				return nil, err
			}
			return im, nil
		}
		return nil, err
	}
	if o.Pull != PullAlways {
		im, _, err := e.Lookup(o.Image)
		if err != nil && !errors.Is(err, ErrNoSuchImage) {
			return nil, err
		}
		if err == nil {
			perr := e.checkPlatform(im, ref.Familiar(), o.Platform)
			if perr == nil {
				return im, nil
			}
			var mismatch *platformMismatch
			if !errors.As(perr, &mismatch) || o.Pull == PullNever || o.PullImage == nil {
				return nil, perr
			}
		} else if o.Pull == PullNever || o.PullImage == nil {
			return nil, fmt.Errorf("%w: %s", ErrNoSuchImage, ref.Familiar())
		}
	}
	if err := o.PullImage(ctx, o.Image); err != nil {
		return nil, err
	}
	im, _, err := e.Lookup(o.Image)
	if err != nil {
		return nil, err
	}
	if err := e.checkPlatform(im, ref.Familiar(), o.Platform); err != nil {
		return nil, err
	}
	return im, nil
}

// platformMismatch is an image in the store that is not for the platform asked for.
type platformMismatch struct {
	name       string
	have, want v1.Platform
}

func (e *platformMismatch) Error() string {
	return fmt.Sprintf("image with reference %s was found but its platform (%s) does not match the specified platform (%s)",
		e.name, formatPlatform(e.have), formatPlatform(e.want))
}

// checkPlatform returns a *platformMismatch when want is set and the image is not for it.
func (e *Engine) checkPlatform(im *store.Image, name string, want *v1.Platform) error {
	if want == nil {
		return nil
	}
	cfg, err := e.ImageConfig(im)
	if err != nil {
		return err
	}
	have := v1.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant}
	if have.OS == want.OS && have.Architecture == want.Architecture && (want.Variant == "" || have.Variant == want.Variant) {
		return nil
	}
	return &platformMismatch{name: name, have: have, want: *want}
}

func formatPlatform(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// Run creates a container and runs it in this process, which becomes its monitor (the loop
// of package monitor, as in a detached monitor): its output goes to the log and to
// o.Stdout and o.Stderr, signals to PID 1, until it exits. A failure to start is a
// *StartError.
func (e *Engine) Run(ctx context.Context, o RunOptions, signals <-chan os.Signal) (ExitStatus, error) {
	c, err := e.Create(ctx, o)
	if err != nil {
		return ExitStatus{}, err
	}
	cs, err := e.Containers()
	if err != nil {
		return ExitStatus{}, err
	}
	if o.Created != nil {
		o.Created(c.ID)
	}
	st, err := e.prepare(cs, c)
	if err != nil {
		e.cleanup(cs, c.ID, monitor.Exit{StartFailed: true}, false)
		cs.Delete(c)
		return ExitStatus{}, err
	}
	cfg := monitor.Config{
		Store: cs, ID: c.ID, Hooks: engineHooks{e: e, cs: cs, id: c.ID, exited: o.Exited}, First: st,
		Stdout: o.Stdout, Stderr: o.Stderr, Socket: cs.AttachSocket(c.ID), Signals: signals,
		Events: e.Events(),
	}
	e.EmitContainer(c, "attach")
	if o.Stdin != nil && !o.Spec.Terminal {
		cfg.Stdin = o.Stdin
	}
	ex, err := monitor.Run(ctx, cfg)
	var se *StartError
	if err != nil && (c.HostConfig.AutoRemove || !errors.As(err, &se) || se.Code == 125) {
		e.deleteContainer(cs, c, true)
	}
	if err != nil {
		return ExitStatus{}, err
	}
	return ExitStatus{Code: ex.Code, OOMKilled: ex.OOMKilled}, nil
}

// Create makes a container from the options: its record, directories and
// runtime spec. It does not start it.
func (e *Engine) Create(ctx context.Context, o RunOptions) (_ *container.Container, retErr error) {
	switch o.Pull {
	case "", PullMissing, PullAlways, PullNever:
	default:
		return nil, fmt.Errorf("invalid pull option: %q: must be one of \"always\", \"missing\" or \"never\"", o.Pull)
	}
	if err := checkNames(&o); err != nil {
		return nil, err
	}
	runtimeName, err := e.runtimeName(o.Runtime)
	if err != nil {
		return nil, err
	}
	policy, err := ParseRestartPolicy(o.Restart)
	if err != nil {
		return nil, err
	}
	if policy.Name != "no" && o.Remove {
		return nil, fmt.Errorf("conflicting options: cannot specify both --restart and --rm")
	}
	if err := checkStopSignal(o.StopSignal); err != nil {
		return nil, err
	}
	logOpts, err := logs.ParseDriverOptions(o.LogDriver, o.LogOpts)
	if err != nil {
		return nil, err
	}
	if err := validateHealthcheck(o.Healthcheck); err != nil {
		return nil, err
	}
	im, err := e.imageForRun(ctx, o)
	if err != nil {
		return nil, err
	}
	cfg, err := e.ImageConfig(im)
	if err != nil {
		return nil, err
	}
	cs, err := e.Containers()
	if err != nil {
		return nil, err
	}
	// Hold the store's writer lock until the record names the layers, so a
	// concurrent rmi cannot collect them in between.
	w, err := e.Store.BeginWrite()
	if err != nil {
		return nil, err
	}
	defer w.Close()
	if o.BaseImage != nil {
		for _, l := range im.Layers {
			if !e.Store.HasLayer(l.ChainID) {
				return nil, fmt.Errorf("layer %s: %w", l.ChainID, store.ErrNotFound)
			}
		}
	} else if _, err := e.Store.Image(im.ID); err != nil {
		return nil, err
	}

	so := o.Spec
	so.ID = container.NewID()
	so.Image = cfg.Config
	netMode := so.Network
	if netMode == "" || netMode == "default" {
		netMode = network.DefaultName
	}
	var joined *container.Container // --network container:REF
	if ref, ok := strings.CutPrefix(netMode, "container:"); ok {
		if joined, err = e.joinableContainer(ref, so.Hostname); err != nil {
			return nil, err
		}
		netMode = "container:" + joined.ID
		so.Hostname = joined.Config.Hostname
		so.Network = "bridge" // a namespace of its own in the spec, that of the other at start
	}
	if err := e.checkNetworkOptions(netMode, o); err != nil {
		return nil, err
	}
	mac, err := checkMacAddress(o.MacAddress, netMode)
	if err != nil {
		return nil, err
	}
	if _, err := e.links(o.Links, "", netMode); err != nil {
		return nil, err
	}
	exposed, err := mergeExposedPorts(cfg.Config.ExposedPorts, o.Expose, o.Publish)
	if err != nil {
		return nil, err
	}
	if isBridgeMode(netMode) {
		so.Network = "bridge" // a new namespace, wired at start
	}
	securityOpt := securityOpts(so)
	if err := e.defaultSeccomp(&so); err != nil {
		return nil, err
	}
	sup := hostCgroupSupport()
	if err := e.resolveNamespaceModes(&so, sup.mode); err != nil {
		return nil, err
	}
	oomKillDisable, warnings := adaptResources(sup, &so.Resources)
	if so.GroupAdd, err = resolveGroupAdd(e.Store.LowerDirs(im), o.GroupAdd); err != nil {
		return nil, err
	}
	remap, err := e.usernsRemap(o.Userns, so, netMode)
	if err != nil {
		return nil, err
	}
	if remap != nil && so.PidMode == spec.ModeHost {
		return nil, errdefs.InvalidArgument(errors.New("cannot share the host PID namespace when user namespaces are enabled"))
	}
	if remap != nil {
		so.UsernsRemap = &spec.IDRemap{}
		so.UsernsRemap.UID.Start, so.UsernsRemap.UID.Size = remap.UID.Start, remap.UID.Size
		so.UsernsRemap.GID.Start, so.UsernsRemap.GID.Size = remap.GID.Start, remap.GID.Size
	}
	inherited, err := e.volumesFrom(o.VolumesFrom)
	if err != nil {
		return nil, err
	}
	plan, mountTmpfs, err := planVolumes(so.Binds, o.Mounts, so.Tmpfs, inherited, cfg.Config.Volumes)
	if err != nil {
		return nil, err
	}
	so.Tmpfs = slices.Concat(so.Tmpfs, mountTmpfs)
	// From the volumes' use until the record that names them is written, volume rm and
	// prune wait: they would not see this container among the volumes' users.
	unlockVolumes, err := e.lockVolumes(lockfile.Shared)
	if err != nil {
		return nil, err
	}
	defer unlockVolumes()
	binds, mounts, undoVolumes, err := e.mountVolumes(ctx, plan, im, remap)
	if err != nil {
		return nil, err
	}
	defer func() {
		if retErr != nil {
			undoVolumes()
		}
	}()
	so.Binds = binds
	dir := cs.Dir(so.ID)
	so.Rootfs = filepath.Join(dir, "rootfs")
	if so.Init && so.InitPath == "" {
		// The init bind mounts the sealed binary it runs from, never the host's file.
		so.InitPath = runtime.SelfExe
	}
	so.HostnamePath = filepath.Join(dir, "hostname")
	so.HostsPath = filepath.Join(dir, "hosts")
	so.ResolvConfPath = filepath.Join(dir, "resolv.conf")
	if so.Privileged {
		so.HostDevices = spec.HostDevices() // Docker gives a privileged container the host's /dev
	}
	s, err := spec.Build(so)
	if err != nil {
		return nil, err
	}
	clampRlimits(s)
	if so.Privileged || addsAllCaps(so.CapAdd) {
		// "Every capability" is every one this process holds.
		boundCapabilities(s)
	}
	// Compiled now, so that a profile libseccomp refuses fails here, before anything exists;
	// the start then finds the program in the cache.
	if _, err := seccomp.CompileCached(seccompCacheDir(cs), s.Linux.Seccomp); err != nil {
		if so.SeccompFile != "" {
			return nil, fmt.Errorf("seccomp profile (%s): %w", so.SeccompFile, err)
		}
		return nil, fmt.Errorf("seccomp: %w", err)
	}
	hostname := s.Hostname
	if hostname == "" { // --uts host
		hostname, _ = os.Hostname()
	}
	c := &container.Container{
		ID: so.ID, Name: o.Name, Created: time.Now().UTC(),
		Path: s.Process.Args[0], Args: s.Process.Args[1:],
		Image: im.ID, ImageName: o.Image, Layers: im.ChainIDs(),
		Config: container.Config{
			Hostname: hostname, User: so.User, Tty: so.Terminal, OpenStdin: o.Stdin != nil,
			Env: spec.ContainerEnv(so.Env, cfg.Config.Env), Cmd: so.Cmd, Entrypoint: cfg.Config.Entrypoint, Image: o.Image,
			WorkingDir: s.Process.Cwd, Labels: mergeLabels(cfg.Config.Labels, o.Labels), StopSignal: cfg.Config.StopSignal,
			ExposedPorts: exposed, MacAddress: mac, StopTimeout: o.StopTimeout,
			AttachStdin: o.AttachStdin, AttachStdout: o.AttachStdout, AttachStderr: o.AttachStderr,
		},
		HostConfig: container.HostConfig{
			Binds: o.Spec.Binds, NetworkMode: netMode, AutoRemove: o.Remove, ReadonlyRootfs: so.ReadOnly,
			PortBindings: o.Publish, PublishAllPorts: o.PublishAll, DNS: o.DNS, DNSSearch: o.DNSSearch,
			DNSOptions: o.DNSOptions, ExtraHosts: o.ExtraHosts, IPv4Address: o.IP, Aliases: o.Aliases,
			Privileged: so.Privileged, CapAdd: so.CapAdd, CapDrop: so.CapDrop, Init: so.Init,
			Memory: so.Resources.Memory, MemorySwap: so.Resources.EffectiveSwap(), NanoCpus: so.Resources.NanoCPUs,
			CPUShares: so.Resources.CPUShares, CpusetCpus: so.Resources.CpusetCpus, PidsLimit: so.Resources.PidsLimit,
			RestartPolicy: policy,
			LogConfig:     container.LogConfig{Type: logOpts.Driver, Config: logConfigMap(o.LogOpts)},
			Devices:       deviceMappings(so.Devices), DeviceCgroupRules: so.DeviceCgroupRules,
			UsernsMode: o.Userns, Runtime: runtimeName,
			PidMode: so.PidMode, IpcMode: so.IpcMode, UTSMode: so.UTSMode, CgroupnsMode: so.CgroupnsMode,
			ShmSize: cmp.Or(so.ShmSize, spec.DefaultShmSize), Ulimits: hostConfigUlimits(so.Ulimits),
			Sysctls: so.Sysctls, GroupAdd: o.GroupAdd, OomScoreAdj: so.OomScoreAdj,
			MemoryReservation: so.Resources.MemoryReservation, CPUQuota: so.Resources.CPUQuota,
			CPUPeriod: so.Resources.CPUPeriod, BlkioWeight: so.Resources.BlkioWeight, OomKillDisable: oomKillDisable,
		},
		State:   container.State{Status: container.Created},
		LogPath: filepath.Join(dir, so.ID+"-json.log"),
		Mounts:  mounts,
	}
	if logOpts.Driver != logs.JSONFile {
		c.LogPath = "" // as Docker's: only json-file has one (see LogFile)
	}
	if o.StopSignal != "" {
		c.Config.StopSignal = o.StopSignal
	}
	c.HostConfig.SecurityOpt = securityOpt
	if so.Entrypoint != nil {
		c.Config.Entrypoint = *so.Entrypoint
	}
	if len(so.Cmd) == 0 && so.Entrypoint == nil {
		c.Config.Cmd = cfg.Config.Cmd
	}
	c.Config.Healthcheck = mergeHealthcheck(o.Healthcheck, cfg.Config.Healthcheck)
	lower := strings.Join(e.Store.LowerDirs(im), ":")
	s.Annotations = map[string]string{annotationLowerDirs: lower}
	if c.Spec, err = json.Marshal(s); err != nil {
		return nil, err
	}
	if err := cs.Create(c); err != nil {
		return nil, err
	}
	if len(o.Links) > 0 {
		// Docker records a link with the name of the container, known only now.
		links, err := e.links(o.Links, c.Name, netMode)
		if err == nil {
			_, err = cs.Update(c.ID, func(c *container.Container) error { c.HostConfig.Links = links; return nil })
		}
		if err != nil {
			cs.Delete(c)
			return nil, err
		}
		c.HostConfig.Links = links
	}
	if err := prepareDir(dir, hostname, netMode, o.ExtraHosts, resolvConfFor(c.HostConfig, false, resolvConf)); err != nil {
		cs.Delete(c)
		return nil, err
	}
	if joined != nil {
		// The other container's names and resolver, as Docker shares them.
		if err := copyNetFiles(cs.Dir(joined.ID), dir); err != nil {
			cs.Delete(c)
			return nil, err
		}
	}
	if remap != nil {
		if err := shareWithRemappedRoot(dir, remap); err != nil {
			cs.Delete(c)
			return nil, err
		}
	}
	warn(o.Warn, warnings)
	e.EmitContainer(c, "create")
	return c, nil
}

// hasUserNamespace reports whether the spec gives the container a user namespace of its own.
func hasUserNamespace(s *specs.Spec) bool {
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == specs.UserNamespace && ns.Path == "" {
			return true
		}
	}
	return false
}

// deviceMappings are the --device values as inspect shows them: [] when none.
func deviceMappings(devs []spec.DeviceMapping) []container.DeviceMapping {
	out := []container.DeviceMapping{}
	for _, d := range devs {
		out = append(out, container.DeviceMapping(d))
	}
	return out
}

// securityOpts is HostConfig.SecurityOpt as Docker records it: what the user asked for, a
// seccomp profile file by its (compacted) content.
func securityOpts(so spec.Options) []string {
	var opts []string
	if so.NoNewPrivileges {
		opts = append(opts, "no-new-privileges")
	}
	if so.Seccomp != "" {
		opts = append(opts, "seccomp="+so.Seccomp)
	}
	return opts
}

// defaultSeccomp gives so the config file's seccomp-profile when it names none.
func (e *Engine) defaultSeccomp(so *spec.Options) error {
	path := e.Config.SeccompProfile
	if so.Seccomp != "" || path == "" || path == seccomp.Builtin {
		return nil
	}
	if path == seccomp.Unconfined {
		so.Seccomp = seccomp.Unconfined
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("opening seccomp profile (%s) failed: %w", path, err)
	}
	so.Seccomp, so.SeccompFile = string(b), path
	return nil
}

// seccompCacheDir is where compiled seccomp filters are kept: in the run directory of the
// store (tmpfs), so they do not outlive a reboot or a change of libseccomp.
func seccompCacheDir(cs *container.Store) string {
	return filepath.Join(cs.RunDir(), "seccomp")
}

// annotationLowerDirs keeps the overlay lower directories in the spec of a
// container, so that it can be started again without its image's record.
const annotationLowerDirs = "org.geedocker.lowerdirs"

func logConfigMap(opts []string) map[string]string {
	m := map[string]string{}
	for _, o := range opts {
		k, v, _ := strings.Cut(o, "=")
		m[k] = v
	}
	return m
}

// prepare makes the cgroup of the container's next start (e.cgs) and (unless the container
// has a user namespace of its own: then Created does) wires its network (e.net), writes the
// bundle's config.json, and returns the start for the monitor. After an error, cleanup
// (StartFailed) releases what was made.
func (e *Engine) prepare(cs *container.Store, c *container.Container) (*monitor.Start, error) {
	var s specs.Spec
	if err := json.Unmarshal(c.Spec, &s); err != nil {
		return nil, fmt.Errorf("container %s: reading its spec: %w", c.ID[:12], err)
	}
	if err := e.joinNamespaces(cs, c, &s); err != nil {
		return nil, err
	}
	cgPath, cgPlace, err := e.cgs.create(c.ID, s.Linux.Resources)
	if err != nil {
		return nil, err
	}
	s.Linux.CgroupsPath = cgPath
	st := &monitor.Start{Spec: &s, SeccompCacheDir: seccompCacheDir(cs), LogPath: c.LogPath, Cgroup: cgPlace}
	if c.HostConfig.LogConfig.Type == logs.Local {
		st.LogPath = localLogPath(cs.Dir(c.ID))
		if err := os.MkdirAll(filepath.Dir(st.LogPath), 0o700); err != nil {
			return nil, err
		}
	}
	// A container with a user namespace of its own can join no network namespace made
	// before it: its own is wired once it exists (monitor.Hooks.Created).
	if isBridgeMode(c.HostConfig.NetworkMode) {
		// Every monitor of a bridge container watches the resolver: a container of the
		// default network may be connected to a user network later.
		st.DNSDir = dnsDir(cs)
	}
	if hasUserNamespace(&s) {
		st.WireAfterCreate = true
	} else if err := e.wireNetwork(cs, c, &s, 0); err != nil {
		return nil, err
	}
	if st.LogOptions, err = logs.ParseDriverOptions(c.HostConfig.LogConfig.Type, optsList(c.HostConfig.LogConfig.Config)); err != nil {
		return nil, err
	}
	dir := cs.Dir(c.ID)
	st.RootfsMounts = []specs.Mount{{Type: "overlay", Source: "overlay", Options: []string{
		"lowerdir=" + s.Annotations[annotationLowerDirs], "upperdir=" + filepath.Join(dir, "upper"), "workdir=" + filepath.Join(dir, "work"),
	}}}
	if st.Runtime, err = e.ociRuntime(c.HostConfig.Runtime); err != nil {
		return nil, err
	}
	// The container's directory is the bundle of this start, whichever runtime runs it:
	// its config.json is the final spec (cgroup and namespace paths filled in), what the
	// runtime reads. An external runtime gets it in standard form (see standardSpec).
	st.Bundle = dir
	if st.Runtime != nil {
		if st.WireAfterCreate {
			return nil, fmt.Errorf("runtime %s: a user namespace needs the built-in runtime (%s)", st.Runtime.Name, BuiltinRuntime)
		}
		if err := standardSpec(&s, dir); err != nil {
			return nil, err
		}
	}
	if err := writeBundle(dir, &s); err != nil {
		return nil, err
	}
	if st.Runtime == nil {
		st.Spec = nil // the monitor reads it from the bundle
	}
	e.emitMounts(c, "mount")
	return st, nil
}

// wireNetwork sets up the container's network (see setupNetwork) and records its settings;
// on failure what was made is released.
func (e *Engine) wireNetwork(cs *container.Store, c *container.Container, s *specs.Spec, pid int) error {
	if s == nil {
		s = &specs.Spec{Linux: &specs.Linux{}}
	}
	ns, err := e.net.setup(cs, c, s, pid)
	if err != nil {
		e.net.release(cs, c, ns)
		return err
	}
	settings := c.NetworkSettings
	_, err = cs.Update(c.ID, func(c *container.Container) error {
		c.NetworkSettings = settings
		return nil
	})
	return err
}

// cleanup runs when the container's command has ended (or could not start): what is left
// in the cgroup is killed and the cgroup removed, the network released; then, unless the
// start failed, the exit is recorded, a --rm container removed, and with mayRestart the
// restart policy applied (Docker's back-off: 100 ms, doubling, at most a minute).
func (e *Engine) cleanup(cs *container.Store, id string, ex monitor.Exit, mayRestart bool) (monitor.Next, error) {
	if oom := e.cgs.release(id); oom && !ex.StartFailed {
		ex.OOMKilled = true
	}
	c, err := cs.Get(id)
	if err != nil {
		return monitor.Next{}, nil // removed meanwhile
	}
	e.net.release(cs, c, nil)
	if ex.StartFailed {
		return monitor.Next{}, nil
	}
	e.emitEndpoints(c, "disconnect")
	e.emitMounts(c, "unmount")
	now := time.Now().UTC()
	if mayRestart && shouldRestart(c.HostConfig.RestartPolicy, ex.Code, c.RestartCount, c.ManualStop) {
		// Meanwhile the record says restarting and the run state names the monitor, so
		// that wait, stop and rm see it.
		if _, err := cs.Update(id, func(c *container.Container) error {
			c.State.Status, c.State.Running, c.State.Restarting, c.State.Pid = container.Restarting, false, true, 0
			c.State.Paused = false
			c.State.ExitCode, c.State.OOMKilled, c.State.FinishedAt = ex.Code, ex.OOMKilled, now
			c.NetworkSettings = container.NetworkSettings{}
			return nil
		}); err != nil {
			return monitor.Next{}, nil
		}
		delay := 100 * time.Millisecond << min(c.RestartCount, 10)
		return monitor.Next{Restart: true, Delay: min(delay, time.Minute)}, nil
	}
	// The record first, then the run state: a reader never sees a running record without
	// its processes while the monitor is healthy.
	defer cs.RemoveRunState(id)
	if c.HostConfig.AutoRemove {
		return monitor.Next{}, e.deleteContainer(cs, c, true)
	}
	_, err = cs.Update(id, func(c *container.Container) error {
		c.State.Status, c.State.Running, c.State.Restarting, c.State.Pid = container.Exited, false, false, 0
		c.State.Paused = false
		c.State.ExitCode, c.State.OOMKilled, c.State.FinishedAt = ex.Code, ex.OOMKilled, now
		c.NetworkSettings = container.NetworkSettings{}
		return nil
	})
	return monitor.Next{}, err
}

func optsList(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	return out
}

// prepareDir makes the container's directories and its /etc files.
// joinableContainer is the container of --network container:REF: it must run.
// A hostname of its own is refused, as Docker refuses it.
func (e *Engine) joinableContainer(ref, hostname string) (*container.Container, error) {
	if hostname != "" {
		return nil, errdefs.InvalidArgument(errors.New("conflicting options: hostname and the network mode"))
	}
	oc, err := e.Container(ref)
	if err != nil {
		return nil, err
	}
	if !oc.State.Running {
		return nil, fmt.Errorf("cannot join network of a non running container: %s", ref)
	}
	return oc, nil
}

// copyNetFiles copies the hosts and resolv.conf files of the container
// directory from to the directory to.
func copyNetFiles(from, to string) error {
	for _, name := range []string{"hosts", "resolv.conf"} {
		b, err := os.ReadFile(filepath.Join(from, name))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(to, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// prepareDir makes the container's directory: the overlay's directories and
// the /etc files, resolv.conf the one of resolvConfFor (a bridge network's
// start writes its own).
func prepareDir(dir, hostname, network string, extraHosts []string, resolv string) error {
	for _, d := range []string{"upper", "work", "rootfs"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	base := defaultHosts
	if network == "host" {
		if b, err := os.ReadFile("/etc/hosts"); err == nil {
			base = string(b)
		}
	}
	hosts := hostsFile(base, extraHosts, "")
	files := map[string]string{
		"hostname":    hostname + "\n",
		"hosts":       hosts,
		"resolv.conf": resolv,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// defaultHosts is the start of a container's /etc/hosts, as Docker writes it.
const defaultHosts = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n"

// hostsFile is base plus the --add-host entries and, when not empty, the
// container's own line ("IP\thostname").
func hostsFile(base string, extraHosts []string, own string) string {
	var b strings.Builder
	b.WriteString(base)
	for _, h := range extraHosts {
		if name, addr, ok := strings.Cut(h, ":"); ok {
			b.WriteString(addr + "\t" + name + "\n")
		}
	}
	if own != "" {
		b.WriteString(own + "\n")
	}
	return b.String()
}

// resolvConf is the host's resolv.conf without loopback name servers, which
// do not answer inside a network namespace.
func resolvConf() string {
	b, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		return ""
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "nameserver" && (strings.HasPrefix(f[1], "127.") || f[1] == "::1") {
			continue
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// clampRlimits lowers the spec's rlimits to what this process may set: a
// host (or sandbox) without CAP_SYS_RESOURCE cannot raise a hard limit, and
// Docker's default RLIMIT_NOFILE of 1048576 would make every start fail.
func clampRlimits(s *specs.Spec) {
	if s.Process == nil {
		return
	}
	for i, rl := range s.Process.Rlimits {
		if rl.Type != "RLIMIT_NOFILE" {
			continue
		}
		var cur unix.Rlimit
		if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &cur); err != nil {
			continue
		}
		if rl.Hard > cur.Max && !canRaiseRlimits() {
			s.Process.Rlimits[i].Hard = cur.Max
			s.Process.Rlimits[i].Soft = min(rl.Soft, cur.Max)
		}
	}
}

// capSysResource is CAP_SYS_RESOURCE's number.
const capSysResource = 24

// canRaiseRlimits tells whether this process holds CAP_SYS_RESOURCE.
func canRaiseRlimits() bool {
	var eff uint64
	return readCapSet("CapEff:", &eff) && eff&(1<<capSysResource) != 0
}

// boundCapabilities drops from a privileged (or --cap-add ALL) spec the capabilities this
// process does not hold itself (a sandboxed host may lack some); asking for
// them would make the start fail.
func boundCapabilities(s *specs.Spec) {
	pc := s.Process.Capabilities
	if pc == nil {
		return
	}
	var bnd uint64
	if !readCapSet("CapBnd:", &bnd) {
		return
	}
	keep := func(list []string) []string {
		var out []string
		for _, name := range list {
			if n, ok := caps.Number(name); !ok || bnd&(1<<n) != 0 {
				out = append(out, name)
			}
		}
		return out
	}
	pc.Bounding, pc.Effective, pc.Permitted = keep(pc.Bounding), keep(pc.Effective), keep(pc.Permitted)
	pc.Inheritable, pc.Ambient = keep(pc.Inheritable), keep(pc.Ambient)
}

// addsAllCaps tells whether --cap-add asks for ALL.
func addsAllCaps(add []string) bool {
	for _, c := range add {
		if strings.EqualFold(strings.TrimSpace(c), "ALL") {
			return true
		}
	}
	return false
}

// readCapSet reads one capability set ("CapEff:", "CapBnd:") of this process.
func readCapSet(field string, into *uint64) bool {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if hexcaps, ok := strings.CutPrefix(line, field); ok {
			_, err := fmt.Sscanf(strings.TrimSpace(hexcaps), "%x", into)
			return err == nil
		}
	}
	return false
}
