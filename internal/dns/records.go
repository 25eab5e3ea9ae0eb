package dns

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// The resolver's directory holds, all written whole (a temporary file
// renamed into place):
//
//	net-<network>.json  the records of one network (Records)
//	serial              a counter, raised by every change of records
//	status.json         what the resolver loaded last (Status)
//	resolver.pid        the resolver's PID and start time
//	lock                flock'd by every writer, and by a resolver deciding to exit
const (
	recordsPrefix = "net-"
	recordsSuffix = ".json"
	serialFile    = "serial"
	statusFile    = "status.json"
	pidFile       = "resolver.pid"
	lockFile      = "lock"
)

// Record is what the resolver knows of one container on one network: the
// names it answers to there (its name, aliases, short ID, hostname), its
// addresses there, the network namespace to listen in, and the resolvers
// to forward other names to (host:port).
type Record struct {
	Names     []string     `json:"names"`
	Addrs     []netip.Addr `json:"addrs"`
	Netns     string       `json:"netns"`
	Upstreams []string     `json:"upstreams,omitempty"`
}

// Records is the file of one network: its containers' records by ID.
type Records struct {
	Network    string            `json:"network"`
	Containers map[string]Record `json:"containers"`
}

// Status is what the resolver writes after each load: the serial it read
// before the records, the containers it could not listen for, and those
// it will try again shortly (their address still held: the sockets of a
// resolver that was killed are freed when its last thread is gone, which
// may be after its PID reads as dead).
type Status struct {
	Serial   uint64            `json:"serial"`
	Pid      int               `json:"pid"`
	Errors   map[string]string `json:"errors,omitempty"`
	Retrying map[string]string `json:"retrying,omitempty"`
}

func recordsPath(dir, network string) string {
	return filepath.Join(dir, recordsPrefix+network+recordsSuffix)
}

// validNetworkName refuses names that would not make one file of dir.
func validNetworkName(name string) error {
	if name == "" || strings.ContainsAny(name, "/\x00") || name == "." || name == ".." {
		return fmt.Errorf("invalid network name %q", name)
	}
	return nil
}

func readRecords(dir, network string) (Records, error) {
	r := Records{Network: network, Containers: map[string]Record{}}
	b, err := os.ReadFile(recordsPath(dir, network))
	if errors.Is(err, os.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("reading the DNS records of network %s: %w", network, err)
	}
	r.Network = network // the file's name says which, whatever it holds
	if r.Containers == nil {
		r.Containers = map[string]Record{}
	}
	return r, nil
}

// writeRecords replaces a network's file, or removes it when no container
// is left in it.
func writeRecords(dir string, r Records) error {
	if len(r.Containers) == 0 {
		err := os.Remove(recordsPath(dir, r.Network))
		if errors.Is(err, os.ErrNotExist) {
			err = nil
		}
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(recordsPath(dir, r.Network), b)
}

// writeFile writes a file whole: a temporary file in the same directory,
// renamed over the name, so a reader sees the old content or the new.
func writeFile(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-")
	if err != nil {
		return err
	}
	_, err = tmp.Write(b)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

func readSerial(dir string) uint64 {
	b, _ := os.ReadFile(filepath.Join(dir, serialFile))
	n, _ := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	return n
}

// bumpSerial raises the serial; callers hold the lock.
func bumpSerial(dir string) (uint64, error) {
	n := readSerial(dir) + 1
	return n, writeFile(filepath.Join(dir, serialFile), []byte(strconv.FormatUint(n, 10)+"\n"))
}

func readStatus(dir string) (Status, bool) {
	var s Status
	b, err := os.ReadFile(filepath.Join(dir, statusFile))
	if err != nil || json.Unmarshal(b, &s) != nil {
		return s, false
	}
	return s, true
}

func writeStatus(dir string, s Status) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, statusFile), b)
}

// member is a container as the resolver sees it: where to listen, where
// to forward, and the networks whose names it may resolve.
type member struct {
	netns     string
	upstreams []string
	networks  []string
}

// state is everything the resolver answers from, built once per load:
// a query looks up a map and never reads a file.
type state struct {
	members map[string]*member
	names   map[string]map[string][]netip.Addr // network → lower-case name → addresses
}

// loadState reads the serial, then every network's records. Writers raise
// the serial after they rename their file, so everything written under a
// serial up to the one returned is in the state.
func loadState(dir string) (*state, uint64, error) {
	serial := readSerial(dir)
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, serial, err
	}
	var files []Records
	var errs []error
	for _, d := range des {
		name, ok := strings.CutPrefix(d.Name(), recordsPrefix)
		if !ok {
			continue
		}
		if name, ok = strings.CutSuffix(name, recordsSuffix); !ok {
			continue
		}
		r, err := readRecords(dir, name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		files = append(files, r)
	}
	return buildState(files), serial, errors.Join(errs...)
}

// buildState indexes the records of all networks.
func buildState(files []Records) *state {
	s := &state{members: map[string]*member{}, names: map[string]map[string][]netip.Addr{}}
	for _, f := range files {
		names := map[string][]netip.Addr{}
		for id, r := range f.Containers {
			m := s.members[id]
			if m == nil {
				m = &member{netns: r.Netns, upstreams: r.Upstreams}
				s.members[id] = m
			}
			m.networks = append(m.networks, f.Network)
			for _, n := range r.Names {
				n = normalName(n)
				if n == "" {
					continue
				}
				for _, a := range r.Addrs {
					if !slices.Contains(names[n], a) {
						names[n] = append(names[n], a)
					}
				}
			}
		}
		s.names[f.Network] = names
	}
	for _, m := range s.members {
		slices.Sort(m.networks)
	}
	for _, names := range s.names {
		for _, addrs := range names {
			slices.SortFunc(addrs, func(a, b netip.Addr) int { return a.Compare(b) })
		}
	}
	return s
}

func normalName(n string) string { return strings.TrimSuffix(strings.ToLower(n), ".") }

// lookup answers container id's query for name: the addresses of name on
// the container's networks.
func (s *state) lookup(id, name string) []netip.Addr {
	m := s.members[id]
	if m == nil {
		return nil
	}
	name = normalName(name)
	var out []netip.Addr
	for _, n := range m.networks {
		for _, a := range s.names[n][name] {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out
}

// hasRecords tells whether any network has a container in dir.
func hasRecords(dir string) bool {
	des, _ := os.ReadDir(dir)
	for _, d := range des {
		if strings.HasPrefix(d.Name(), recordsPrefix) && strings.HasSuffix(d.Name(), recordsSuffix) {
			return true // written only with a container in it
		}
	}
	return false
}
