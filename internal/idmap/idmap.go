// Package idmap resolves the user-namespace remapping of dockerd's `userns-remap` option: the
// subordinate id ranges of a user in /etc/subuid and /etc/subgid, and, for "default", a system
// user of GeeDocker's own with 65536 ids of each.
//
// Container root maps to the start of the first range of the user; a container sees
// `0 <start> <size>` in /proc/self/uid_map.
package idmap

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// DefaultUser is the user that "default" creates when it is missing.
const DefaultUser = "geedocker"

// DefaultSize is the number of ids a container gets, and that "default" allocates.
const DefaultSize = 65536

// firstStart is the lowest id "default" allocates, as useradd does for subordinate ids.
const firstStart = 100000

// Range is a run of host ids.
type Range struct {
	Start uint32 `json:"start"`
	Size  uint32 `json:"size"`
}

// Remap is the mapping of a container's ids to the host's: container id 0 is host id Start.
type Remap struct {
	User string `json:"user"`
	UID  Range  `json:"uid"`
	GID  Range  `json:"gid"`
}

// Files are the paths of the files a Remap is read from and "default" writes.
type Files struct {
	Passwd, Group, Subuid, Subgid string
}

// HostFiles are the host's own files.
var HostFiles = Files{Passwd: "/etc/passwd", Group: "/etc/group", Subuid: "/etc/subuid", Subgid: "/etc/subgid"}

// ParseOption splits a userns-remap value, "USER[:GROUP]" or "default".
func ParseOption(v string) (user, group string, err error) {
	user, group, _ = strings.Cut(v, ":")
	if user == "" || strings.ContainsAny(v, " \t\n") || strings.Count(v, ":") > 1 || strings.HasSuffix(v, ":") {
		return "", "", fmt.Errorf("invalid userns-remap %q: want USER[:GROUP] or \"default\"", v)
	}
	if group == "" {
		group = user
	}
	return user, group, nil
}

// Lookup finds the ranges of user and group (names or numeric ids) in f.Subuid and f.Subgid:
// the first range of each, of at most DefaultSize ids.
func Lookup(f Files, user, group string) (Remap, error) {
	r := Remap{User: user}
	var err error
	if r.UID, err = lookupRange(f.Subuid, f.Passwd, user); err != nil {
		return r, fmt.Errorf("userns-remap: user %q: %w", user, err)
	}
	if r.GID, err = lookupRange(f.Subgid, f.Group, group); err != nil {
		return r, fmt.Errorf("userns-remap: group %q: %w", group, err)
	}
	return r, nil
}

// lookupRange finds the first range of name (or of its numeric id, looked up in idFile).
func lookupRange(subFile, idFile, name string) (Range, error) {
	keys := map[string]bool{name: true}
	if id, ok := idOf(idFile, name); ok {
		keys[id] = true
	}
	b, err := os.ReadFile(subFile)
	if err != nil {
		return Range{}, fmt.Errorf("reading %s: %w", subFile, err)
	}
	for _, r := range ParseSubIDs(strings.NewReader(string(b))) {
		if keys[r.Name] {
			if r.Size > DefaultSize {
				r.Size = DefaultSize
			}
			return r.Range, nil
		}
	}
	return Range{}, fmt.Errorf("no subordinate ids in %s", subFile)
}

// idOf returns the numeric id of name in a passwd or group file, or name itself when numeric.
func idOf(file, name string) (string, bool) {
	if _, err := strconv.ParseUint(name, 10, 32); err == nil {
		return name, true
	}
	f, err := os.Open(file)
	if err != nil {
		return "", false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Split(s.Text(), ":")
		if len(fields) >= 3 && fields[0] == name {
			return fields[2], true
		}
	}
	return "", false
}

// NamedRange is one line of /etc/subuid or /etc/subgid.
type NamedRange struct {
	Name string
	Range
}

// ParseSubIDs reads the lines "NAME:START:COUNT" of a subordinate id file; malformed lines and
// comments are skipped, as shadow-utils does.
func ParseSubIDs(r io.Reader) []NamedRange {
	var out []NamedRange
	s := bufio.NewScanner(r)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, ":")
		if len(f) != 3 || f[0] == "" {
			continue
		}
		start, err1 := strconv.ParseUint(f[1], 10, 32)
		size, err2 := strconv.ParseUint(f[2], 10, 32)
		if err1 != nil || err2 != nil || size == 0 || start+size > 1<<32 {
			continue
		}
		out = append(out, NamedRange{Name: f[0], Range: Range{Start: uint32(start), Size: uint32(size)}})
	}
	return out
}

// NextFree returns the start of the first run of size ids at or above firstStart that no
// range of ranges overlaps.
func NextFree(ranges []NamedRange, size uint32) (uint32, error) {
	start := uint64(firstStart)
	for moved := true; moved; {
		moved = false
		for _, r := range ranges {
			rs, re := uint64(r.Start), uint64(r.Start)+uint64(r.Size)
			if start < re && rs < start+uint64(size) {
				start, moved = re, true
			}
		}
	}
	if start+uint64(size) > 1<<32 {
		return 0, errors.New("no free range of subordinate ids")
	}
	return uint32(start), nil
}

// EnsureSubIDs gives name a range of DefaultSize ids in the subordinate id file p when it has
// none, at the first free place; the file is replaced atomically.
func EnsureSubIDs(p, name string) error {
	b, err := os.ReadFile(p)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("reading %s: %w", p, err)
	}
	ranges := ParseSubIDs(strings.NewReader(string(b)))
	for _, r := range ranges {
		if r.Name == name {
			return nil
		}
	}
	start, err := NextFree(ranges, DefaultSize)
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		b = append(b, '\n')
	}
	b = append(b, fmt.Sprintf("%s:%d:%d\n", name, start, DefaultSize)...)
	return writeAtomic(p, b)
}

func writeAtomic(p string, b []byte) error {
	mode := os.FileMode(0o644)
	if st, err := os.Stat(p); err == nil {
		mode = st.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p)
}

// EnsureDefault makes what "default" needs: the system user and group DefaultUser (with
// useradd, when missing) and a range of DefaultSize ids of each in f.Subuid and f.Subgid.
func EnsureDefault(f Files) error {
	if _, ok := idOf(f.Passwd, DefaultUser); !ok {
		out, err := exec.Command("useradd", "--system", "--user-group", "--no-create-home",
			"--shell", "/usr/sbin/nologin", DefaultUser).CombinedOutput()
		if err != nil {
			return fmt.Errorf("userns-remap default: creating user %s: %v: %s", DefaultUser, err, strings.TrimSpace(string(out)))
		}
	}
	if err := EnsureSubIDs(f.Subuid, DefaultUser); err != nil {
		return fmt.Errorf("userns-remap default: %w", err)
	}
	if err := EnsureSubIDs(f.Subgid, DefaultUser); err != nil {
		return fmt.Errorf("userns-remap default: %w", err)
	}
	return nil
}

// Resolve turns a userns-remap value into a Remap, creating the default user when asked for.
func Resolve(f Files, option string) (Remap, error) {
	user, group := DefaultUser, DefaultUser
	if option == "default" {
		if err := EnsureDefault(f); err != nil {
			return Remap{}, err
		}
	} else {
		var err error
		if user, group, err = ParseOption(option); err != nil {
			return Remap{}, err
		}
	}
	return Lookup(f, user, group)
}
