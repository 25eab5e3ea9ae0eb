package runtime

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// execUser is the identity the container's process runs as.
type execUser struct {
	UID    uint32
	GID    uint32
	Groups []uint32 // supplementary groups
	Home   string   // from /etc/passwd; "/" when the user has no entry
}

type passwdEntry struct {
	name string
	uid  uint32
	gid  uint32
	home string
}

type groupEntry struct {
	name    string
	gid     uint32
	members []string
}

// resolveUser resolves a `docker run --user` value ("name", "uid", "name:group", "uid:gid",
// "name:gid", "uid:group") against the container's /etc/passwd and /etc/group, either of which
// may be nil (a missing file). Like runc: a numeric user without an entry runs with gid 0 and
// home "/"; a user found by name gets the groups that list it as a member, unless a group is
// given explicitly.
func resolveUser(spec string, passwd, group io.Reader) (execUser, error) {
	userArg, groupArg, _ := strings.Cut(spec, ":")
	u := execUser{Home: "/"}
	users, err := parsePasswd(passwd)
	if err != nil {
		return u, err
	}
	uidArg, uidErr := parseID(userArg)
	matchedName := ""
	found := false
	for _, e := range users {
		if e.name == userArg || (uidErr == nil && e.uid == uidArg) {
			u.UID, u.GID, u.Home, matchedName, found = e.uid, e.gid, e.home, e.name, true
			break
		}
	}
	if !found {
		if uidErr != nil {
			return u, fmt.Errorf("unable to find user %s: no matching entries in passwd file", userArg)
		}
		u.UID = uidArg
	}
	if groupArg == "" && matchedName == "" {
		return u, nil
	}
	groups, err := parseGroup(group)
	if err != nil {
		return u, err
	}
	if groupArg != "" {
		gidArg, gidErr := parseID(groupArg)
		for _, g := range groups {
			if (gidErr == nil && g.gid == gidArg) || (gidErr != nil && g.name == groupArg) {
				u.GID = g.gid
				return u, nil
			}
		}
		if gidErr != nil {
			return u, fmt.Errorf("unable to find group %s: no matching entries in group file", groupArg)
		}
		u.GID = gidArg
		return u, nil
	}
	for _, g := range groups {
		if slices.Contains(g.members, matchedName) && !slices.Contains(u.Groups, g.gid) {
			u.Groups = append(u.Groups, g.gid)
		}
	}
	return u, nil
}

// homeOf returns the home directory of uid from the container's /etc/passwd (nil: missing
// file), "/" when there is no entry.
func homeOf(uid uint32, passwd io.Reader) string {
	users, _ := parsePasswd(passwd)
	for _, e := range users {
		if e.uid == uid {
			return e.home
		}
	}
	return "/"
}

func parseID(s string) (uint32, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n > math.MaxInt32 {
		return 0, fmt.Errorf("%q is not a valid id", s)
	}
	return uint32(n), nil
}

// parsePasswd reads /etc/passwd lines "name:password:uid:gid:gecos:home:shell", skipping
// comments and malformed lines as libc does.
func parsePasswd(r io.Reader) ([]passwdEntry, error) {
	var out []passwdEntry
	err := eachLine(r, func(f []string) {
		if len(f) < 4 {
			return
		}
		uid, err1 := parseID(f[2])
		gid, err2 := parseID(f[3])
		if err1 != nil || err2 != nil {
			return
		}
		e := passwdEntry{name: f[0], uid: uid, gid: gid, home: "/"}
		if len(f) > 5 && f[5] != "" {
			e.home = f[5]
		}
		out = append(out, e)
	})
	if err != nil {
		return nil, fmt.Errorf("reading passwd file: %w", err)
	}
	return out, nil
}

// UserNames maps each uid of a passwd file to its name (the first entry
// wins, as getpwuid's).
func UserNames(passwd io.Reader) (map[uint32]string, error) {
	entries, err := parsePasswd(passwd)
	if err != nil {
		return nil, err
	}
	names := map[uint32]string{}
	for _, e := range entries {
		if _, ok := names[e.uid]; !ok {
			names[e.uid] = e.name
		}
	}
	return names, nil
}

// parseGroup reads /etc/group lines "name:password:gid:member,member".
func parseGroup(r io.Reader) ([]groupEntry, error) {
	var out []groupEntry
	err := eachLine(r, func(f []string) {
		if len(f) < 3 {
			return
		}
		gid, err := parseID(f[2])
		if err != nil {
			return
		}
		e := groupEntry{name: f[0], gid: gid}
		if len(f) > 3 && f[3] != "" {
			e.members = strings.Split(f[3], ",")
		}
		out = append(out, e)
	})
	if err != nil {
		return nil, fmt.Errorf("reading group file: %w", err)
	}
	return out, nil
}

func eachLine(r io.Reader, fn func(fields []string)) error {
	if r == nil {
		return nil
	}
	s := bufio.NewScanner(r)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		fn(strings.Split(line, ":"))
	}
	return s.Err()
}

// ResolveProcessUser does for an external OCI runtime what the init does for our own: it
// resolves p.User.Username (our extension, see Config.Spec) against the container's
// /etc/passwd and /etc/group (either nil: a missing file) into UID, GID and AdditionalGids,
// clears it, and sets HOME from passwd when env has none. The result is a standard spec.
func ResolveProcessUser(p *specs.Process, passwd, group []byte) error {
	u := execUser{UID: p.User.UID, GID: p.User.GID, Home: "/"}
	if p.User.Username != "" {
		var err error
		if u, err = resolveUser(p.User.Username, readerOf(passwd), readerOf(group)); err != nil {
			return err
		}
	} else {
		u.Home = homeOf(u.UID, readerOf(passwd))
	}
	for _, g := range p.User.AdditionalGids {
		if !slices.Contains(u.Groups, g) {
			u.Groups = append(u.Groups, g)
		}
	}
	p.User = specs.User{UID: u.UID, GID: u.GID, AdditionalGids: u.Groups, Umask: p.User.Umask}
	hasHome := false
	for _, kv := range p.Env {
		if strings.HasPrefix(kv, "HOME=") {
			hasHome = true
		}
	}
	if !hasHome {
		p.Env = append(p.Env, "HOME="+u.Home)
	}
	return nil
}

// readerOf is b as a reader, nil for nil (a missing file).
func readerOf(b []byte) io.Reader {
	if b == nil {
		return nil
	}
	return bytes.NewReader(b)
}
