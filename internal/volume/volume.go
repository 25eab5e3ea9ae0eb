// Package volume keeps the volumes of the local driver under the store root:
//
//	volumes/<name>/_data        the volume's content, bind-mounted into containers
//	volumes/<name>/volume.json  its record (name, labels, creation time), written atomically
//
// A volume is created by `volume create` or on first use by `run -v NAME:/path`; an
// anonymous volume (`-v /path`, an image's VOLUME) gets a random 64-hex name. Which
// containers use a volume is not stored here: it comes from the containers' records
// (their Mounts), which the caller passes in as Users.
//
// Lifecycle: Create writes the directory under a temporary name, then renames it into
// place, so a volume is either complete or absent; Remove renames it out of the way first,
// then deletes it, so a half-removed volume is never listed.
package volume

import (
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
	"time"

	"github.com/geedocker/geedocker/internal/errdefs"
)

// Driver is the only driver there is.
const Driver = "local"

// Errors callers tell apart, each in its errdefs class; the user wording of every volume
// error lives in this file.
var (
	ErrNotFound = errdefs.NotFound(errors.New("no such volume"))
	ErrInUse    = errdefs.Conflict(errors.New("volume is in use"))
	ErrInvalid  = errdefs.InvalidArgument(errors.New("invalid volume name"))
)

// InUseError names the containers that hold a volume.
type InUseError struct {
	Name       string
	Containers []string
}

func (e *InUseError) Error() string {
	return fmt.Sprintf("remove %s: volume is in use - [%s]", e.Name, strings.Join(e.Containers, ", "))
}

func (e *InUseError) Unwrap() error { return ErrInUse }

func notFound(name string) error { return fmt.Errorf("get %s: %w", name, ErrNotFound) }

// Volume is a volume as `volume inspect` shows it.
type Volume struct {
	CreatedAt  time.Time         `json:"CreatedAt"`
	Driver     string            `json:"Driver"`
	Labels     map[string]string `json:"Labels"`
	Mountpoint string            `json:"Mountpoint"`
	Name       string            `json:"Name"`
	Options    map[string]string `json:"Options"`
	Scope      string            `json:"Scope"`
	// Anonymous marks volumes made for `-v /path` and image VOLUMEs; prune removes only
	// those without --all, as Docker does.
	Anonymous bool `json:"-"`
}

// record is volume.json.
type record struct {
	Name      string            `json:"Name"`
	CreatedAt time.Time         `json:"CreatedAt"`
	Labels    map[string]string `json:"Labels"`
	Anonymous bool              `json:"Anonymous,omitempty"`
}

// AnonymousLabel is the label Docker puts on anonymous volumes.
const AnonymousLabel = "com.docker.volume.anonymous"

var validName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`)

// ValidName reports whether name is a volume name Docker accepts.
func ValidName(name string) bool { return validName.MatchString(name) }

// CheckName returns Docker's error for an invalid name.
func CheckName(name string) error {
	if !ValidName(name) {
		return invalidNameError(name)
	}
	return nil
}

type invalidNameError string

func (e invalidNameError) Error() string {
	return fmt.Sprintf("create %s: %q includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path", string(e), string(e))
}

func (e invalidNameError) Unwrap() error { return ErrInvalid }

// Store is the volumes of one store root.
type Store struct{ dir string }

// Open prepares <root>/volumes.
func Open(root string) (*Store, error) {
	dir := filepath.Join(root, "volumes")
	if err := os.MkdirAll(dir, 0o701); err != nil {
		return nil, err
	}
	return &Store{dir: dir}, nil
}

// DataDir is where a volume's content is.
func (s *Store) DataDir(name string) string { return filepath.Join(s.dir, name, "_data") }

// NewAnonymousName returns a fresh 64-hex name.
func NewAnonymousName() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Create makes a volume; creating one that exists returns it unchanged, as Docker does
// (created reports whether it is new).
func (s *Store) Create(name string, labels map[string]string, anonymous bool) (v *Volume, created bool, err error) {
	if err := CheckName(name); err != nil {
		return nil, false, err
	}
	if v, err := s.Get(name); err == nil {
		return v, false, nil
	}
	tmp, err := os.MkdirTemp(s.dir, ".tmp-"+name+"-")
	if err != nil {
		return nil, false, err
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil {
		return nil, false, err
	}
	if err := os.Mkdir(filepath.Join(tmp, "_data"), 0o755); err != nil {
		return nil, false, err
	}
	if labels == nil {
		labels = map[string]string{}
	}
	if anonymous {
		labels[AnonymousLabel] = ""
	}
	rec := record{Name: name, CreatedAt: time.Now().UTC().Truncate(time.Second), Labels: labels, Anonymous: anonymous}
	b, err := json.Marshal(rec)
	if err != nil {
		return nil, false, err
	}
	if err := writeSynced(filepath.Join(tmp, "volume.json"), b); err != nil {
		return nil, false, err
	}
	if err := os.Rename(tmp, filepath.Join(s.dir, name)); err != nil {
		// Another create won the race: the volume exists, complete.
		if v, gerr := s.Get(name); gerr == nil {
			return v, false, nil
		}
		return nil, false, fmt.Errorf("create %s: %w", name, err)
	}
	v, err = s.Get(name)
	return v, err == nil, err
}

func writeSynced(p string, b []byte) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Get reads a volume.
func (s *Store) Get(name string) (*Volume, error) {
	if !ValidName(name) {
		return nil, notFound(name)
	}
	b, err := os.ReadFile(filepath.Join(s.dir, name, "volume.json"))
	if err != nil {
		return nil, notFound(name)
	}
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("volume %s: %w", name, err)
	}
	if r.Labels == nil {
		r.Labels = map[string]string{}
	}
	return &Volume{
		CreatedAt: r.CreatedAt, Driver: Driver, Labels: r.Labels, Mountpoint: s.DataDir(name),
		Name: name, Options: map[string]string{}, Scope: "local", Anonymous: r.Anonymous,
	}, nil
}

// List returns every volume, by name.
func (s *Store) List() ([]*Volume, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	var out []*Volume
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		v, err := s.Get(e.Name())
		if err != nil {
			continue
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Users maps a volume name to the IDs of the containers whose records mount it.
type Users map[string][]string

// Remove deletes a volume no container uses. With force a missing volume is no error.
func (s *Store) Remove(name string, users Users, force bool) error {
	if _, err := s.Get(name); err != nil {
		if force {
			return nil
		}
		return err
	}
	if ids := users[name]; len(ids) > 0 {
		return &InUseError{Name: name, Containers: ids}
	}
	trash, err := os.MkdirTemp(s.dir, ".rm-")
	if err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(s.dir, name), filepath.Join(trash, "v")); err != nil {
		os.Remove(trash)
		return fmt.Errorf("remove %s: %w", name, err)
	}
	return os.RemoveAll(trash)
}

// Size is the space a volume's content takes, in bytes (as `system df` and prune count it).
func (s *Store) Size(name string) int64 {
	var n int64
	filepath.WalkDir(s.DataDir(name), func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// Empty reports whether the volume's content directory has nothing in it.
func (s *Store) Empty(name string) bool {
	f, err := os.Open(s.DataDir(name))
	if err != nil {
		return false
	}
	defer f.Close()
	names, _ := f.Readdirnames(1)
	return len(names) == 0
}

// Prune removes the unused volumes (only anonymous ones unless all) and returns their
// names and the space they took.
func (s *Store) Prune(users Users, all bool, keep func(*Volume) bool) ([]string, int64, error) {
	vols, err := s.List()
	if err != nil {
		return nil, 0, err
	}
	var names []string
	var space int64
	for _, v := range vols {
		if len(users[v.Name]) > 0 || (!all && !v.Anonymous) || (keep != nil && !keep(v)) {
			continue
		}
		size := s.Size(v.Name)
		if err := s.Remove(v.Name, users, false); err != nil {
			return names, space, err
		}
		names = append(names, v.Name)
		space += size
	}
	return names, space, nil
}
