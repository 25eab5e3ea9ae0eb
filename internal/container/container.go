// Package container keeps container records on disk, in the store root:
//
//	containers/<id>/config.v2.json   the record (configuration and last state)
//	containers/<id>/upper, work       the overlayfs upper and work directories
//	containers/<id>/rootfs            the mount point of the root file system
//	containers/<id>/hostname, hosts, resolv.conf
//	names/<name> -> <id>              a symlink per name: created atomically,
//	                                  so two containers never share a name
//	                                  (rename: new link, record, old link removed)
//
// Records are replaced by atomic renames, so readers need no lock; writers
// of one record serialise on a flock of the record's directory.
package container

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/geedocker/geedocker/internal/errdefs"
	"github.com/geedocker/geedocker/internal/lockfile"
)

// Errors callers tell apart.
var (
	ErrNotFound  = errdefs.NotFound(errors.New("No such container"))
	ErrNameInUse = errdefs.Conflict(errors.New("name already in use"))
	ErrAmbiguous = errdefs.InvalidArgument(errors.New("ambiguous container ID prefix"))
)

// Status values, as Docker names them.
const (
	Created    = "created"
	Running    = "running"
	Paused     = "paused"
	Exited     = "exited"
	Restarting = "restarting"
	Removing   = "removing"
)

// State is the last known state of a container.
type State struct {
	Status     string    `json:"Status"`
	Running    bool      `json:"Running"`
	Paused     bool      `json:"Paused"`
	Restarting bool      `json:"Restarting"`
	Pid        int       `json:"Pid"`
	ExitCode   int       `json:"ExitCode"`
	OOMKilled  bool      `json:"OOMKilled"`
	Error      string    `json:"Error"`
	StartedAt  time.Time `json:"StartedAt"`
	FinishedAt time.Time `json:"FinishedAt"`
	Health     *Health   `json:"Health,omitempty"`
}

// Config is the part of Docker's container config GeeDocker keeps.
type Config struct {
	Hostname     string              `json:"Hostname"`
	User         string              `json:"User"`
	AttachStdin  bool                `json:"AttachStdin"`
	AttachStdout bool                `json:"AttachStdout"`
	AttachStderr bool                `json:"AttachStderr"`
	Tty          bool                `json:"Tty"`
	OpenStdin    bool                `json:"OpenStdin"`
	Env          []string            `json:"Env"`
	Cmd          []string            `json:"Cmd"`
	Entrypoint   []string            `json:"Entrypoint"`
	Image        string              `json:"Image"`
	WorkingDir   string              `json:"WorkingDir"`
	Labels       map[string]string   `json:"Labels"`
	StopSignal   string              `json:"StopSignal,omitempty"`
	StopTimeout  *int                `json:"StopTimeout,omitempty"` // --stop-timeout, seconds
	ExposedPorts map[string]struct{} `json:"ExposedPorts,omitempty"`
	Healthcheck  *HealthConfig       `json:"Healthcheck,omitempty"`
	// MacAddress is --mac-address: the MAC of the container's end of its veth.
	MacAddress string `json:"MacAddress,omitempty"`
}

// HostConfig is Docker's host config: limits, mounts, security.
type HostConfig struct {
	Binds           []string          `json:"Binds"`
	NetworkMode     string            `json:"NetworkMode"`
	AutoRemove      bool              `json:"AutoRemove"`
	ReadonlyRootfs  bool              `json:"ReadonlyRootfs"`
	Privileged      bool              `json:"Privileged"`
	UsernsMode      string            `json:"UsernsMode"`
	CapAdd          []string          `json:"CapAdd"`
	CapDrop         []string          `json:"CapDrop"`
	SecurityOpt     []string          `json:"SecurityOpt"`
	Tmpfs           map[string]string `json:"Tmpfs"`
	Init            bool              `json:"Init"`
	Memory          int64             `json:"Memory"`
	MemorySwap      int64             `json:"MemorySwap"`
	NanoCpus        int64             `json:"NanoCpus"`
	CPUShares       int64             `json:"CpuShares"`
	CpusetCpus      string            `json:"CpusetCpus"`
	PidsLimit       int64             `json:"PidsLimit"`
	RestartPolicy   RestartPolicy     `json:"RestartPolicy"`
	PortBindings    []string          `json:"PortBindings"` // -p values
	PublishAllPorts bool              `json:"PublishAllPorts"`
	DNS             []string          `json:"Dns"`
	DNSSearch       []string          `json:"DnsSearch"`
	DNSOptions      []string          `json:"DnsOptions"`
	ExtraHosts      []string          `json:"ExtraHosts"`
	IPv4Address     string            `json:"IPv4Address,omitempty"` // --ip
	Aliases         []string          `json:"Aliases,omitempty"`     // --network-alias
	// ExtraNetworks are the networks joined with `network connect`,
	// attached as eth1, eth2 … at every start.
	ExtraNetworks []string  `json:"ExtraNetworks,omitempty"`
	LogConfig     LogConfig `json:"LogConfig"`
	// Devices are the --device values, DeviceCgroupRules the
	// --device-cgroup-rule ones.
	Devices           []DeviceMapping `json:"Devices"`
	DeviceCgroupRules []string        `json:"DeviceCgroupRules"`
	// Runtime is the OCI runtime that runs the container (--runtime).
	Runtime string `json:"Runtime"`

	// The namespaces of --pid, --ipc, --uts and --cgroupns; a "container:ID" mode names
	// the other container by its ID.
	PidMode      string `json:"PidMode"`
	IpcMode      string `json:"IpcMode"`
	UTSMode      string `json:"UTSMode"`
	CgroupnsMode string `json:"CgroupnsMode"`
	// ShmSize is the size of /dev/shm in bytes (Docker's 64 MiB by default).
	ShmSize  int64             `json:"ShmSize"`
	Ulimits  []Ulimit          `json:"Ulimits"`
	Sysctls  map[string]string `json:"Sysctls,omitempty"`
	GroupAdd []string          `json:"GroupAdd"`
	// OomScoreAdj is --oom-score-adj.
	OomScoreAdj int `json:"OomScoreAdj"`
	// The cgroup settings of --memory-reservation, --cpu-quota, --cpu-period,
	// --blkio-weight and --oom-kill-disable; OomKillDisable is nil where the kernel
	// cannot disable the OOM killer (cgroup v2), as Docker shows it.
	MemoryReservation int64  `json:"MemoryReservation"`
	CPUQuota          int64  `json:"CpuQuota"`
	CPUPeriod         int64  `json:"CpuPeriod"`
	BlkioWeight       uint16 `json:"BlkioWeight"`
	OomKillDisable    *bool  `json:"OomKillDisable"`
	// Links are the --link values as Docker records them: "/NAME:/SELF/ALIAS".
	Links []string `json:"Links"`

	// ExtraAliases are the aliases on networks joined with `network connect`
	// (the endpoint config's), by network name.
	ExtraAliases map[string][]string `json:"ExtraAliases,omitempty"`
}

// Ulimit is one --ulimit: soft and hard limits of a resource by Docker's name; -1 is
// unlimited.
type Ulimit struct {
	Name string `json:"Name"`
	Hard int64  `json:"Hard"`
	Soft int64  `json:"Soft"`
}

// DeviceMapping is one --device: a host device (or directory of devices),
// its path in the container and its cgroup permissions ("rwm").
type DeviceMapping struct {
	PathOnHost        string `json:"PathOnHost"`
	PathInContainer   string `json:"PathInContainer"`
	CgroupPermissions string `json:"CgroupPermissions"`
}

// RestartPolicy is --restart: "no", "on-failure" (with a retry count),
// "always", "unless-stopped".
type RestartPolicy struct {
	Name              string `json:"Name"`
	MaximumRetryCount int    `json:"MaximumRetryCount"`
}

// LogConfig is --log-opt.
type LogConfig struct {
	Type   string            `json:"Type"`
	Config map[string]string `json:"Config"`
}

// NetworkSettings is where a running container is on the network.
type NetworkSettings struct {
	Networks map[string]Endpoint `json:"Networks"`
	Ports    []PortBinding       `json:"Ports"`
}

// Endpoint is a container's place on one network.
type Endpoint struct {
	NetworkID   string   `json:"NetworkID"`
	IPAddress   string   `json:"IPAddress"`
	IPPrefixLen int      `json:"IPPrefixLen"`
	Gateway     string   `json:"Gateway"`
	MacAddress  string   `json:"MacAddress"`
	Aliases     []string `json:"Aliases"`
	IfName      string   `json:"-"`
}

// PortBinding is one published port.
type PortBinding struct {
	HostIP        string `json:"HostIp"`
	HostPort      uint16 `json:"HostPort"`
	ContainerPort uint16 `json:"ContainerPort"`
	Proto         string `json:"Proto"`
}

// Container is one container's record.
type Container struct {
	ID         string     `json:"Id"`
	Name       string     `json:"Name"`
	Created    time.Time  `json:"Created"`
	Path       string     `json:"Path"`
	Args       []string   `json:"Args"`
	Image      string     `json:"Image"`     // image ID
	ImageName  string     `json:"ImageName"` // as the user named it
	Layers     []string   `json:"Layers"`    // chain IDs of the image, kept while the container exists
	Config     Config     `json:"Config"`
	HostConfig HostConfig `json:"HostConfig"`
	State      State      `json:"State"`
	// RestartCount counts the restarts made by the restart policy.
	RestartCount int `json:"RestartCount"`
	// ManualStop is set by stop and kill, so the restart policy leaves the
	// container stopped.
	ManualStop bool   `json:"ManualStop,omitempty"`
	LogPath    string `json:"LogPath"`
	// NetworkSettings are set while the container runs on a bridge network.
	NetworkSettings NetworkSettings `json:"NetworkSettings"`
	// Mounts are the container's binds and volumes, as inspect shows them; which
	// containers use a volume is read from here.
	Mounts []MountPoint `json:"Mounts,omitempty"`
	// Spec is the OCI runtime configuration the container runs with. It stays the last
	// field: listing reads records only up to it.
	Spec json.RawMessage `json:"Spec,omitempty"`
}

// MountPoint is one entry of Docker's .Mounts.
type MountPoint struct {
	Type        string `json:"Type"`
	Name        string `json:"Name,omitempty"`
	Source      string `json:"Source"`
	Destination string `json:"Destination"`
	Driver      string `json:"Driver,omitempty"`
	Mode        string `json:"Mode"`
	RW          bool   `json:"RW"`
	Propagation string `json:"Propagation"`
	// Anonymous marks a volume made for this container alone: rm -v and --rm remove it.
	Anonymous bool `json:"Anonymous,omitempty"`
}

// Store holds the records under a store root.
type Store struct{ root string }

// Open prepares the container directories under root.
func Open(root string) (*Store, error) {
	s := &Store{root: root}
	for _, d := range []string{"containers", "names"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o700); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Dir is the directory of a container.
func (s *Store) Dir(id string) string { return filepath.Join(s.root, "containers", id) }

// NewID returns a random 64-hex container ID.
func NewID() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Compiled on first use: every geedocker process, a container init among
// them, would pay for it at start otherwise.
var validName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$`) })

// MaxNameLength is the longest container name: a name is a file name here (255 bytes at most)
// and a name the embedded DNS answers for (253 characters at most).
const MaxNameLength = 253

// checkName validates a name given by the user ("" lets Create make one up), in Docker's words
// for the characters; Docker sets no length limit of its own.
func checkName(name string) error {
	if name == "" {
		return nil
	}
	if !validName().MatchString(name) {
		return errdefs.InvalidArgument(fmt.Errorf("Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name))
	}
	if len(name) > MaxNameLength {
		return errdefs.InvalidArgument(fmt.Errorf("invalid container name %q: longer than %d characters", name, MaxNameLength))
	}
	return nil
}

// Create writes a new record and reserves its name; when c.Name is empty a
// name is generated. It fails with ErrNameInUse when the name is taken.
func (s *Store) Create(c *Container) error {
	c.Name = strings.TrimPrefix(c.Name, "/")
	if err := checkName(c.Name); err != nil {
		return err
	}
	// The directory is locked until the record is written: one without a record whose lock
	// is free was left by a create that was killed (see SweepIncomplete). The create lock,
	// shared here, keeps a sweep from looking between the mkdir and the lock.
	unlock, err := s.createLock(lockfile.Shared)
	if err != nil {
		return err
	}
	if err := os.Mkdir(s.Dir(c.ID), 0o700); err != nil {
		unlock()
		return fmt.Errorf("creating container directory: %w", err)
	}
	lock, err := lockfile.AcquireDir(s.Dir(c.ID), lockfile.Exclusive)
	unlock()
	if err != nil {
		os.RemoveAll(s.Dir(c.ID))
		return fmt.Errorf("locking container directory: %w", err)
	}
	defer lock.Unlock()
	if err := s.reserveName(c); err != nil {
		os.RemoveAll(s.Dir(c.ID))
		return err
	}
	if err := s.write(c); err != nil {
		s.Delete(c)
		return err
	}
	return nil
}

func (s *Store) reserveName(c *Container) error {
	if c.Name != "" {
		err := os.Symlink(c.ID, filepath.Join(s.root, "names", c.Name))
		if errors.Is(err, os.ErrExist) {
			// Held by a create that was killed: free it.
			if other, _ := os.Readlink(filepath.Join(s.root, "names", c.Name)); isID(other) && s.sweep(other) {
				err = os.Symlink(c.ID, filepath.Join(s.root, "names", c.Name))
			}
		}
		if errors.Is(err, os.ErrExist) {
			other, _ := os.Readlink(filepath.Join(s.root, "names", c.Name))
			return &nameInUse{fmt.Sprintf("Conflict. The container name \"/%s\" is already in use by container %q. You have to remove (or rename) that container to be able to reuse that name.", c.Name, other)}
		}
		return err
	}
	for i := 0; ; i++ {
		c.Name = GenerateName(i)
		err := os.Symlink(c.ID, filepath.Join(s.root, "names", c.Name))
		if err == nil || !errors.Is(err, os.ErrExist) {
			return err
		}
	}
}

func (s *Store) write(c *Container) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	p := filepath.Join(s.Dir(c.ID), "config.v2.json")
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

// Get reads a record by exact ID.
func (s *Store) Get(id string) (*Container, error) {
	b, err := os.ReadFile(filepath.Join(s.Dir(id), "config.v2.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, err
	}
	var c Container
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("container record %s: %w", id, err)
	}
	return &c, nil
}

// specKey is how the Spec, the last field of a record, starts in its JSON.
var specKey = []byte(`,"Spec":`)

// getSummary reads a record by exact ID without its Spec. The Spec is most
// of a record's bytes (the seccomp filter), and listing needs none of it:
// the record is cut where its top-level Spec starts, at the first `,"Spec":`
// (the text cannot occur inside a string, where quotes are escaped, and the
// Spec is the only top-level key of that name). A first one that is a key
// nested deeper (a label) leaves a brace open once cut: the whole record is
// read then.
func (s *Store) getSummary(id string) (*Container, error) {
	b, err := os.ReadFile(filepath.Join(s.Dir(id), "config.v2.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, err
	}
	var c Container
	if i := bytes.Index(b, specKey); i >= 0 && json.Unmarshal(append(b[:i:i], '}'), &c) == nil {
		return &c, nil
	}
	c = Container{}
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("container record %s: %w", id, err)
	}
	c.Spec = nil
	return &c, nil
}

// Exists tells whether a container's record exists.
func (s *Store) Exists(id string) bool { return s.hasRecord(id) }

// Lookup finds a container by name, full ID or unique ID prefix.
func (s *Store) Lookup(ref string) (*Container, error) {
	if ref == "" {
		return nil, fmt.Errorf("%w: (empty name)", ErrNotFound)
	}
	if id, err := os.Readlink(filepath.Join(s.root, "names", strings.TrimPrefix(ref, "/"))); err == nil && !strings.Contains(ref, "..") {
		return s.Get(id)
	}
	ids, err := s.IDs()
	if err != nil {
		return nil, err
	}
	var match []string
	for _, id := range ids {
		if strings.HasPrefix(id, ref) {
			match = append(match, id)
		}
	}
	switch len(match) {
	case 0:
		return nil, fmt.Errorf("%w: %s", ErrNotFound, ref)
	case 1:
		return s.Get(match[0])
	}
	return nil, fmt.Errorf("multiple containers found with provided prefix: %s: %w", ref, ErrAmbiguous)
}

// IDs lists every container ID.
func (s *Store) IDs() ([]string, error) {
	des, err := os.ReadDir(filepath.Join(s.root, "containers"))
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, d := range des {
		if len(d.Name()) == 64 {
			ids = append(ids, d.Name())
		}
	}
	return ids, nil
}

// List reads every record, newest first, without its Spec (Get has it).
func (s *Store) List() ([]*Container, error) {
	ids, err := s.IDs()
	if err != nil {
		return nil, err
	}
	var out []*Container
	for _, id := range ids {
		c, err := s.getSummary(id)
		if err != nil {
			continue // being created or removed
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, nil
}

// Update changes a record under its lock: fn sees the current record.
func (s *Store) Update(id string, fn func(*Container) error) (*Container, error) {
	l, err := lockfile.AcquireDir(s.Dir(id), lockfile.Exclusive)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, err
	}
	defer l.Unlock()
	c, err := s.Get(id)
	if err != nil {
		return nil, err
	}
	if err := fn(c); err != nil {
		return nil, err
	}
	return c, s.write(c)
}

// Delete removes a record, its name and its directory.
func (s *Store) Delete(c *Container) error {
	link := filepath.Join(s.root, "names", c.Name)
	if id, err := os.Readlink(link); err == nil && id == c.ID {
		os.Remove(link)
	}
	if err := os.RemoveAll(s.Dir(c.ID)); err != nil {
		return fmt.Errorf("removing container %s: %w", c.ID[:12], err)
	}
	return nil
}

// SweepIncomplete removes what a create killed before it wrote the record left behind: the
// container's directory and the name that points to it. A create under way holds the lock of
// its directory and is left alone. It returns the IDs removed.
func (s *Store) SweepIncomplete() []string {
	ids, err := s.IDs()
	if err != nil {
		return nil
	}
	var removed []string
	for _, id := range ids {
		if s.sweep(id) {
			removed = append(removed, id)
		}
	}
	return removed
}

// sweep removes container id and its names when a create was killed before it wrote the
// record, and tells whether it did.
func (s *Store) sweep(id string) bool {
	if s.hasRecord(id) {
		return false
	}
	unlock, err := s.createLock(lockfile.Exclusive)
	if err != nil {
		return false
	}
	defer unlock()
	l, ok, err := lockfile.TryAcquireDir(s.Dir(id), lockfile.Exclusive)
	if err != nil || !ok {
		return false // gone, or being created
	}
	defer l.Unlock()
	if s.hasRecord(id) {
		return false // created meanwhile
	}
	s.removeNamesOf(id)
	return os.RemoveAll(s.Dir(id)) == nil
}

// isID tells whether s is a 64-hex container ID.
func isID(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// createLock takes the lock that creates share and a sweep holds alone, and returns its
// release.
func (s *Store) createLock(m lockfile.Mode) (func(), error) {
	l, err := lockfile.Acquire(filepath.Join(s.root, "containers.lock"), m)
	if err != nil {
		return nil, fmt.Errorf("taking the create lock: %w", err)
	}
	return func() { l.Unlock() }, nil
}

func (s *Store) hasRecord(id string) bool {
	_, err := os.Lstat(filepath.Join(s.Dir(id), "config.v2.json"))
	return !errors.Is(err, os.ErrNotExist)
}

// removeNamesOf removes the names that point to id.
func (s *Store) removeNamesOf(id string) {
	des, _ := os.ReadDir(filepath.Join(s.root, "names"))
	for _, d := range des {
		link := filepath.Join(s.root, "names", d.Name())
		if target, err := os.Readlink(link); err == nil && target == id {
			os.Remove(link)
		}
	}
}

// nameInUse carries Docker's message and wraps ErrNameInUse (and so its
// class).
type nameInUse struct{ msg string }

func (e *nameInUse) Error() string { return e.msg }
func (e *nameInUse) Unwrap() error { return ErrNameInUse }
