package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/errdefs"
	"github.com/geedocker/geedocker/internal/events"
	"github.com/geedocker/geedocker/internal/idmap"
	"github.com/geedocker/geedocker/internal/lockfile"
	"github.com/geedocker/geedocker/internal/store"
	"github.com/geedocker/geedocker/internal/volume"
)

// Volumes opens the volume store of the engine's root.
func (e *Engine) Volumes() (*volume.Store, error) { return volume.Open(e.Store.Root()) }

// VolumeUsers maps each volume to the full IDs of the containers whose records mount it.
func (e *Engine) VolumeUsers() (volume.Users, error) {
	all, err := e.ListContainers()
	if err != nil {
		return nil, err
	}
	users := volume.Users{}
	for _, c := range all {
		for _, m := range c.Mounts {
			if m.Type == "volume" && !slices.Contains(users[m.Name], c.ID) {
				users[m.Name] = append(users[m.Name], c.ID)
			}
		}
	}
	return users, nil
}

// CreateVolume is `volume create`: an empty name makes an anonymous-named (64-hex) one.
func (e *Engine) CreateVolume(name string, labels map[string]string) (*volume.Volume, error) {
	vs, err := e.Volumes()
	if err != nil {
		return nil, err
	}
	if name == "" {
		name = volume.NewAnonymousName()
	}
	v, created, err := vs.Create(name, labels, false)
	if created {
		e.emitVolume("create", name)
	}
	return v, err
}

// lockVolumes takes the lock between the creates that use volumes (shared, until their
// records are written) and volume rm and prune (exclusive, from reading the volumes' users
// to removing them), so that no volume is removed under a container being created with it.
func (e *Engine) lockVolumes(m lockfile.Mode) (unlock func(), err error) {
	l, err := lockfile.Acquire(filepath.Join(e.Store.Root(), "volumes.lock"), m)
	if err != nil {
		return nil, fmt.Errorf("locking the volumes: %w", err)
	}
	return func() { l.Unlock() }, nil
}

// RemoveVolume is `volume rm`: a volume a container uses is refused.
func (e *Engine) RemoveVolume(name string, force bool) error {
	vs, err := e.Volumes()
	if err != nil {
		return err
	}
	unlock, err := e.lockVolumes(lockfile.Exclusive)
	if err != nil {
		return err
	}
	defer unlock()
	users, err := e.VolumeUsers()
	if err != nil {
		return err
	}
	if err := vs.Remove(name, users, force); err != nil {
		return err
	}
	e.emitVolume("destroy", name)
	return nil
}

// PruneVolumes removes the volumes no container uses: the anonymous ones, or all with all.
// keep, when set, says which volumes the filters let be pruned.
func (e *Engine) PruneVolumes(all bool, keep func(*volume.Volume) bool) ([]string, int64, error) {
	vs, err := e.Volumes()
	if err != nil {
		return nil, 0, err
	}
	unlock, err := e.lockVolumes(lockfile.Exclusive)
	if err != nil {
		return nil, 0, err
	}
	defer unlock()
	users, err := e.VolumeUsers()
	if err != nil {
		return nil, 0, err
	}
	removed, reclaimed, err := vs.Prune(users, all, keep)
	for _, name := range removed {
		e.emitVolume("destroy", name)
	}
	e.Emit(events.Volume, "prune", "", map[string]string{"reclaimed": strconv.FormatInt(reclaimed, 10)})
	return removed, reclaimed, err
}

// volumeUse is one -v value or image VOLUME, planned: a bind (Name empty, Anonymous
// false) or a named or anonymous volume.
type volumeUse struct {
	Spec      string // the -v value, "" for an image VOLUME
	Source    string // a bind's host path
	Name      string // a named volume's name
	Anonymous bool
	Dest      string
	Mode      string // the mode part as given, without nocopy
	NoCopy    bool
	// MustExist is set for a --mount bind: its source is not created, as Docker's.
	MustExist bool
}

// planVolumes reads the -v values and the image's VOLUME entries (which get an anonymous
// volume unless a -v or --tmpfs covers their path). It is pure: nothing is created.
// inherited (--volumes-from) come after -v and --mount, which win for the same path.
func planVolumes(binds, mounts, tmpfs []string, inherited []volumeUse, imageVolumes map[string]struct{}) (plan []volumeUse, moreTmpfs []string, err error) {
	var out []volumeUse
	taken := map[string]bool{}
	for _, m := range mounts {
		u, t, err := parseMount(m)
		if err != nil {
			return nil, nil, errdefs.InvalidArgument(err)
		}
		if t != "" {
			moreTmpfs = append(moreTmpfs, t)
			continue
		}
		if taken[u.Dest] {
			return nil, nil, fmt.Errorf("Duplicate mount point: %s", u.Dest)
		}
		taken[u.Dest] = true
		out = append(out, u)
	}
	for _, b := range binds {
		parts := strings.Split(b, ":")
		u := volumeUse{Spec: b}
		switch len(parts) {
		case 1:
			if !path.IsAbs(b) {
				return nil, nil, fmt.Errorf("invalid volume specification: '%s': invalid mount config for type \"volume\": invalid mount path: '%s' mount path must be absolute", b, b)
			}
			u.Anonymous, u.Dest = true, path.Clean(b)
		case 2, 3:
			src, dst := parts[0], parts[1]
			if src == "" || dst == "" {
				return nil, nil, fmt.Errorf("invalid volume specification: '%s'", b)
			}
			if path.IsAbs(src) {
				u.Source = src
			} else {
				if err := volume.CheckName(src); err != nil {
					return nil, nil, err
				}
				u.Name = src
			}
			if !path.IsAbs(dst) {
				return nil, nil, fmt.Errorf("invalid volume specification: '%s': invalid mount config for type \"%s\": invalid mount path: '%s' mount path must be absolute", b, u.mountType(), dst)
			}
			u.Dest = path.Clean(dst)
			if len(parts) == 3 {
				var modes []string
				for _, m := range strings.Split(parts[2], ",") {
					if m == "nocopy" && u.Source == "" {
						u.NoCopy = true
						continue
					}
					modes = append(modes, m)
				}
				u.Mode = strings.Join(modes, ",")
			}
		default:
			return nil, nil, fmt.Errorf("invalid volume specification: '%s'", b)
		}
		if taken[u.Dest] {
			return nil, nil, fmt.Errorf("Duplicate mount point: %s", u.Dest)
		}
		taken[u.Dest] = true
		out = append(out, u)
	}
	for _, u := range inherited {
		if !taken[u.Dest] {
			taken[u.Dest] = true
			out = append(out, u)
		}
	}
	for _, t := range slices.Concat(tmpfs, moreTmpfs) {
		dst, _, _ := strings.Cut(t, ":")
		taken[path.Clean(dst)] = true
	}
	var image []string
	for v := range imageVolumes {
		image = append(image, v)
	}
	sort.Strings(image)
	for _, v := range image {
		if !path.IsAbs(v) || taken[path.Clean(v)] {
			continue
		}
		taken[path.Clean(v)] = true
		out = append(out, volumeUse{Anonymous: true, Dest: path.Clean(v)})
	}
	return out, moreTmpfs, nil
}

func (u volumeUse) mountType() string {
	if u.Source != "" {
		return "bind"
	}
	return "volume"
}

// readOnly reports whether the mode asks for a read-only mount.
func (u volumeUse) readOnly() bool { return slices.Contains(strings.Split(u.Mode, ","), "ro") }

// mountVolumes creates the volumes the plan names (filling each empty one from the image's
// content at its path), and returns the binds the spec mounts, the container's Mounts and
// a function that removes what was created, for a create that fails later. With a user
// namespace (remap), what a volume gets from the image or makes new belongs to the remapped
// root, as Docker's volumes do.
func (e *Engine) mountVolumes(ctx context.Context, plan []volumeUse, im *store.Image, remap *idmap.Remap) (binds []string, mounts []container.MountPoint, undo func(), err error) {
	vs, err := e.Volumes()
	if err != nil {
		return nil, nil, func() {}, err
	}
	var created []string
	undo = func() {
		for _, n := range created {
			vs.Remove(n, nil, true)
		}
	}
	defer func() {
		if err != nil {
			undo()
		}
	}()
	for _, u := range plan {
		if u.Source != "" {
			if _, serr := os.Stat(u.Source); serr != nil {
				if u.MustExist || !errors.Is(serr, fs.ErrNotExist) {
					return nil, nil, undo, fmt.Errorf("invalid mount config for type \"bind\": bind source path does not exist: %s", u.Source)
				}
				// -v creates a missing host directory, as Docker does (and leaves it).
				if err := os.MkdirAll(u.Source, 0o755); err != nil {
					return nil, nil, undo, fmt.Errorf("invalid mount config for type \"bind\": creating bind source %s: %w", u.Source, err)
				}
			}
			binds = append(binds, u.Spec)
			m := container.MountPoint{Type: "bind", Source: u.Source, Destination: u.Dest, Mode: u.Mode, RW: !u.readOnly(), Propagation: "rprivate"}
			for _, opt := range strings.Split(u.Mode, ",") {
				if slices.Contains([]string{"private", "rprivate", "shared", "rshared", "slave", "rslave"}, opt) {
					m.Propagation = opt
				}
			}
			mounts = append(mounts, m)
			continue
		}
		name := u.Name
		if u.Anonymous {
			name = volume.NewAnonymousName()
		}
		v, isNew, err := vs.Create(name, nil, u.Anonymous)
		if err != nil {
			return nil, nil, undo, err
		}
		if isNew {
			created = append(created, name)
			e.emitVolume("create", name)
		}
		if empty := vs.Empty(name); !u.NoCopy && empty {
			if err := copyUp(ctx, e.Store.LowerDirs(im), u.Dest, v.Mountpoint); err != nil {
				return nil, nil, undo, fmt.Errorf("copying the image's %s into volume %s: %w", u.Dest, name, err)
			}
			if remap != nil {
				if err := shiftOwners(v.Mountpoint, remap); err != nil {
					return nil, nil, undo, fmt.Errorf("volume %s: %w", name, err)
				}
			}
		} else if isNew && remap != nil {
			if err := os.Lchown(v.Mountpoint, int(remap.UID.Start), int(remap.GID.Start)); err != nil {
				return nil, nil, undo, fmt.Errorf("volume %s: %w", name, err)
			}
		}
		b := v.Mountpoint + ":" + u.Dest
		if u.Mode != "" {
			b += ":" + u.Mode
		}
		binds = append(binds, b)
		mode := u.Mode
		if mode == "" && !u.Anonymous {
			mode = "z"
		}
		mounts = append(mounts, container.MountPoint{
			Type: "volume", Name: name, Source: v.Mountpoint, Destination: u.Dest, Driver: volume.Driver,
			Mode: mode, RW: !u.readOnly(), Anonymous: u.Anonymous,
		})
	}
	return binds, mounts, undo, nil
}

// removeAnonymousVolumes removes the anonymous volumes of a removed container that no
// other container uses (rm -v, --rm).
func (e *Engine) removeAnonymousVolumes(c *container.Container) error {
	vs, err := e.Volumes()
	if err != nil {
		return err
	}
	users, err := e.VolumeUsers()
	if err != nil {
		return err
	}
	var errs []error
	for _, m := range c.Mounts {
		if m.Type != "volume" || !m.Anonymous {
			continue
		}
		err := vs.Remove(m.Name, users, true)
		if err == nil {
			e.emitVolume("destroy", m.Name)
		}
		var inUse *volume.InUseError
		if err != nil && !errors.As(err, &inUse) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// deleteContainer deletes a container's record and directories, then, with volumes, its
// anonymous volumes.
func (e *Engine) deleteContainer(cs *container.Store, c *container.Container, volumes bool) error {
	if err := cs.Delete(c); err != nil {
		return err
	}
	e.EmitContainer(c, "destroy")
	if volumes {
		return e.removeAnonymousVolumes(c)
	}
	return nil
}

// parseMount reads one --mount value (type=bind|volume|tmpfs,source=…,target=…,readonly,
// bind-propagation=…, volume-nocopy, tmpfs-size=…, tmpfs-mode=…) as Docker does. A tmpfs
// comes back as a --tmpfs value, the others as a planned use.
func parseMount(s string) (u volumeUse, tmpfs string, err error) {
	typ, ro, nocopy := "volume", false, false
	var src, dst, propagation, size, mode string
	for _, field := range strings.Split(s, ",") {
		k, v, hasValue := strings.Cut(field, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		boolValue := func() (bool, error) {
			if !hasValue {
				return true, nil
			}
			switch strings.ToLower(v) {
			case "1", "true":
				return true, nil
			case "0", "false":
				return false, nil
			}
			return false, fmt.Errorf("invalid value for %s: %s", k, v)
		}
		switch k {
		case "type":
			typ = v
		case "source", "src":
			src = v
		case "target", "destination", "dst":
			dst = v
		case "readonly", "ro":
			if ro, err = boolValue(); err != nil {
				return u, "", err
			}
		case "bind-propagation":
			propagation = v
		case "volume-nocopy":
			if nocopy, err = boolValue(); err != nil {
				return u, "", err
			}
		case "tmpfs-size":
			size = v
		case "tmpfs-mode":
			mode = v
		case "consistency", "bind-nonrecursive":
		default:
			if !hasValue && k != "" {
				return u, "", fmt.Errorf("invalid field '%s' must be a key=value pair", field)
			}
			return u, "", fmt.Errorf("unexpected key '%s' in '%s'", k, field)
		}
	}
	invalid := func(msg string) error {
		return fmt.Errorf("invalid mount config for type %q: %s", typ, msg)
	}
	if dst == "" {
		return u, "", invalid("field Target must not be empty")
	}
	if !path.IsAbs(dst) {
		return u, "", invalid(fmt.Sprintf("invalid mount path: '%s' mount path must be absolute", dst))
	}
	dst = path.Clean(dst)
	if dst == "/" {
		return u, "", invalid("invalid specification: destination can't be '/'")
	}
	var modes []string
	if ro {
		modes = append(modes, "ro")
	}
	switch typ {
	case "bind":
		if src == "" {
			return u, "", invalid("field Source must not be empty")
		}
		if !path.IsAbs(src) {
			return u, "", invalid(fmt.Sprintf("invalid mount path: '%s' mount path must be absolute", src))
		}
		if propagation != "" {
			modes = append(modes, propagation)
		}
		u = volumeUse{Source: path.Clean(src), Dest: dst, Mode: strings.Join(modes, ","), MustExist: true}
		u.Spec = u.Source + ":" + dst
		if u.Mode != "" {
			u.Spec += ":" + u.Mode
		}
		return u, "", nil
	case "volume":
		if propagation != "" {
			return u, "", invalid("field BindOptions must not be specified")
		}
		u = volumeUse{Dest: dst, Mode: strings.Join(modes, ","), NoCopy: nocopy}
		if src == "" {
			u.Anonymous = true
		} else {
			if err := volume.CheckName(src); err != nil {
				return u, "", err
			}
			u.Name = src
		}
		return u, "", nil
	case "tmpfs":
		if src != "" {
			return u, "", invalid("field Source must not be specified")
		}
		opts := modes
		if size != "" {
			opts = append(opts, "size="+size)
		}
		if mode != "" {
			opts = append(opts, "mode="+mode)
		}
		if len(opts) == 0 {
			return u, dst, nil
		}
		return u, dst + ":" + strings.Join(opts, ","), nil
	}
	return u, "", invalid("mount type unknown")
}

// volumesFrom reads --volumes-from values, CONTAINER[:ro|:rw]: the other container's
// volumes and binds at the same paths, read-only with ro, else as that container has them.
func (e *Engine) volumesFrom(refs []string) ([]volumeUse, error) {
	var out []volumeUse
	for _, ref := range refs {
		name, mode, hasMode := strings.Cut(ref, ":")
		if hasMode && mode != "ro" && mode != "rw" {
			return nil, fmt.Errorf("invalid mode: %s", mode)
		}
		c, err := e.Container(name)
		if err != nil {
			return nil, err
		}
		for _, m := range c.Mounts {
			u := volumeUse{Dest: m.Destination, NoCopy: true}
			switch m.Type {
			case "volume":
				u.Name = m.Name
			case "bind":
				u.Source = m.Source
			default:
				continue
			}
			var modes []string
			if (hasMode && mode == "ro") || (!hasMode && !m.RW) {
				modes = append(modes, "ro")
			}
			if m.Type == "bind" && m.Propagation != "" && m.Propagation != "rprivate" {
				modes = append(modes, m.Propagation)
			}
			u.Mode = strings.Join(modes, ",")
			if u.Source != "" {
				u.Spec = u.Source + ":" + u.Dest
				if u.Mode != "" {
					u.Spec += ":" + u.Mode
				}
			}
			out = append(out, u)
		}
	}
	return out, nil
}
