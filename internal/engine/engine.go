// Package engine holds GeeDocker's use cases — pull, import, list, tag,
// remove, inspect, and (later) run and exec — wiring the store, the registry
// client, the layer unpacker and the runtime. The CLI calls the engine and
// formats what it returns; the engine never prints.
package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	goruntime "runtime"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/geedocker/geedocker/internal/cgroups"
	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/monitor"
	"github.com/geedocker/geedocker/internal/registry"
	"github.com/geedocker/geedocker/internal/store"
)

// DefaultRoot is the store root when neither --root nor GEEDOCKER_ROOT is set.
const DefaultRoot = "/var/lib/geedocker"

// DefaultConfigFile is GeeDocker's own configuration file.
const DefaultConfigFile = "/etc/geedocker/config.json"

// Config is the content of GeeDocker's config file.
type Config struct {
	InsecureRegistries []string `json:"insecure-registries,omitempty"`
	RegistryMirrors    []string `json:"registry-mirrors,omitempty"`
	// CgroupParent is the cgroup holding every container's cgroup, as
	// Docker's daemon option of that name; default "geedocker".
	CgroupParent string `json:"cgroup-parent,omitempty"`
	// UsernsRemap is dockerd's userns-remap: "default" or "USER[:GROUP]". Every container
	// then gets a user namespace whose root is the first subordinate id of that user, unless
	// it is run with --userns=host.
	UsernsRemap string `json:"userns-remap,omitempty"`
	// SeccompProfile is the seccomp profile of containers that name none, as Docker's
	// daemon option of that name: "builtin" (Docker's default profile, also when empty),
	// "unconfined", or the path of a profile in Docker's JSON format, read at each create.
	SeccompProfile string `json:"seccomp-profile,omitempty"`
	// Runtimes are the OCI runtimes `run --runtime NAME` may name, and DefaultRuntime the
	// one containers use unless they name one, as dockerd's options of those names.
	Runtimes       map[string]RuntimeConfig `json:"runtimes,omitempty"`
	DefaultRuntime string                   `json:"default-runtime,omitempty"`
}

// LoadConfig reads the config file; a missing file is an empty config.
func LoadConfig(path string) (Config, error) {
	var c Config
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("reading config file: %w", err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("config file %s: %w", path, err)
	}
	return c, nil
}

// Engine is the entry point of every use case.
type Engine struct {
	Store  *store.Store
	Config Config
	// ImageUsers returns the containers using an image, so that rmi can
	// refuse to delete it. Nil until containers exist.
	ImageUsers func(imageID string) ([]string, error)
	// LayersInUse returns chain IDs that containers use, kept by GC.
	LayersInUse func() ([]string, error)
	// ReapMonitors makes the engine wait for the monitors it starts, for a
	// caller that outlives them (serve); a short-lived command leaves them
	// to init.
	ReapMonitors bool

	// The outside things a create, a start, a cleanup and a repair act on, behind small
	// interfaces so that unit tests can fake them; New sets the real ones (hostNetwork,
	// hostCgroups, hostProcesses, hostMonitors).
	net   containerNetwork
	cgs   cgroupManager
	procs processes
	mons  monitors
}

// containerNetwork wires a container's network for a start and releases it (see
// setupNetwork and releaseNetwork).
type containerNetwork interface {
	setup(cs *container.Store, c *container.Container, s *specs.Spec, pid int) (*netSetup, error)
	release(cs *container.Store, c *container.Container, ns *netSetup)
}

// cgroupManager makes and releases the cgroup of a container's start: create makes it with
// the limits of the spec and returns its path from the hierarchy root (the spec's
// cgroupsPath) and where its monitor finds it; release kills whatever runs in it and removes
// it, and tells whether the kernel OOM-killed a process of it first.
type cgroupManager interface {
	create(id string, res *specs.LinuxResources) (path string, place monitor.Cgroup, err error)
	release(id string) (oomKilled bool)
}

// monitors launches the monitor process that holds a detached container (see
// startMonitor): locate finds the monitor program, before anything is prepared; launch
// starts it for the prepared start st of container c and returns once the container's
// command runs or failed to start. A *StartError is the monitor's own report: the monitor
// ran, and the start it was given is its to release and record (monitor.Run); after any
// other failure the caller releases the start and records the error (startFailed).
type monitors interface {
	locate() (mon, self string, err error)
	launch(l monitorLaunch) (*AttachClient, error)
}

// monitorLaunch is what a monitor is launched with.
type monitorLaunch struct {
	cs                  *container.Store
	c                   *container.Container
	st                  *monitor.Start
	mon, self           string   // the monitor program and this binary (monitors.locate)
	globalArgs          []string // the flags the monitor needs to find the same store
	attach, attachEvent bool     // see StartAttached
}

// processes tells whether a process recorded with its start time still runs
// (container.Alive).
type processes interface {
	alive(pid int, start uint64) bool
}

type hostNetwork struct{ e *Engine }

func (h hostNetwork) setup(cs *container.Store, c *container.Container, s *specs.Spec, pid int) (*netSetup, error) {
	return h.e.setupNetwork(cs, c, s, pid)
}

func (h hostNetwork) release(cs *container.Store, c *container.Container, ns *netSetup) {
	h.e.releaseNetwork(cs, c, ns)
}

type hostCgroups struct{ e *Engine }

func (h hostCgroups) create(id string, res *specs.LinuxResources) (string, monitor.Cgroup, error) {
	var place monitor.Cgroup
	cg, err := h.e.cgroup(id)
	if err != nil {
		return "", place, err
	}
	if err := cg.Create(res); err != nil {
		return "", place, fmt.Errorf("creating the container's cgroup: %w", err)
	}
	place.Dirs, place.Memory, place.V2 = cgroups.Placement(cg)
	return cg.Path(), place, nil
}

func (h hostCgroups) release(id string) (oomKilled bool) {
	if cg, err := h.e.cgroup(id); err == nil {
		oomKilled, _ = cg.OOMKilled()
		cg.Kill()
		cg.Destroy()
	}
	return oomKilled
}

type hostProcesses struct{}

func (hostProcesses) alive(pid int, start uint64) bool { return container.Alive(pid, start) }

type hostMonitors struct{ e *Engine }

func (hostMonitors) locate() (mon, self string, err error) { return monitorPath() }

func (h hostMonitors) launch(l monitorLaunch) (*AttachClient, error) {
	return h.e.launchMonitor(l.cs, l.c, l.c.ID, l.st, l.mon, l.self, l.globalArgs, l.attach, l.attachEvent)
}

// New opens the store at root.
func New(root string, cfg Config) (*Engine, error) {
	s, err := store.Open(root)
	if err != nil {
		return nil, err
	}
	e := &Engine{Store: s, Config: cfg}
	e.net, e.cgs, e.procs, e.mons = hostNetwork{e}, hostCgroups{e}, hostProcesses{}, hostMonitors{e}
	e.containerHooks()
	return e, nil
}

// HostPlatform is the platform of this machine, as images name it.
func HostPlatform() v1.Platform {
	p := v1.Platform{OS: "linux", Architecture: goruntime.GOARCH}
	if goruntime.GOARCH == "arm" {
		p.Variant = "v7"
	}
	return p
}

func (e *Engine) registry(p v1.Platform) *registry.Client {
	return registry.New(registry.Options{
		Insecure: e.Config.InsecureRegistries,
		Mirrors:  e.Config.RegistryMirrors,
		Platform: p,
	})
}

// cgroup returns the manager of a container's cgroup.
func (e *Engine) cgroup(id string) (cgroups.Manager, error) {
	mode, err := cgroups.Detect()
	if err != nil {
		return nil, err
	}
	return cgroups.New(mode, id, cgroups.Opts{Parent: e.Config.CgroupParent})
}
