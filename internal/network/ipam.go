package network

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/geedocker/geedocker/internal/errdefs"
	"github.com/geedocker/geedocker/internal/lockfile"
)

// ErrAddressInUse is returned by Allocate for a wanted address that another
// owner holds. Its text is Docker's.
var ErrAddressInUse = errdefs.Conflict(errors.New("Address already in use"))

// ErrNoAddress is returned by Allocate when every address of a network is
// taken.
var ErrNoAddress = errdefs.Unavailable(errors.New("no available IPv4 addresses"))

// IPAM hands out the addresses of networks to owners (container IDs). Its
// state is one JSON file per network in Dir, read and rewritten (temp file,
// fsync, rename) under an exclusive flock of Dir/ipam.lock, so any number of
// processes may allocate at once; the kernel drops the lock of a killed
// holder. The lock is held only for that read-modify-write.
type IPAM struct{ Dir string }

// ipamState is the content of one network's file.
type ipamState struct {
	Subnet netip.Prefix `json:"subnet"`
	// Owners maps an address to the owner holding it.
	Owners map[netip.Addr]string `json:"owners"`
}

// Allocate gives owner an address of n: want when it is valid, else the
// lowest free host address. It never gives the network, gateway or
// broadcast address. An owner that already holds an address gets it back
// (asking for another one is an error); a wanted address held by another
// owner fails with ErrAddressInUse.
func (a *IPAM) Allocate(n Network, owner string, want netip.Addr) (netip.Addr, error) {
	if owner == "" {
		return netip.Addr{}, errors.New("allocating an address: empty owner")
	}
	if err := n.Validate(); err != nil {
		return netip.Addr{}, err
	}
	if want.IsValid() {
		want = want.Unmap()
		if !n.Subnet.Contains(want) {
			return netip.Addr{}, fmt.Errorf("allocating %s on network %s: address is not in subnet %s", want, n.Name, n.Subnet)
		}
		if !isHostAddr(n, want) {
			return netip.Addr{}, fmt.Errorf("allocating %s on network %s: it is the network's %s address", want, n.Name, reservedKind(n, want))
		}
	}
	var got netip.Addr
	err := a.update(n, func(st *ipamState) error {
		for ip, o := range st.Owners {
			if o != owner {
				continue
			}
			if want.IsValid() && want != ip {
				return fmt.Errorf("allocating %s on network %s: %s already holds %s", want, n.Name, owner, ip)
			}
			got = ip
			return nil
		}
		if want.IsValid() {
			if _, taken := st.Owners[want]; taken {
				return fmt.Errorf("allocating %s on network %s: %w", want, n.Name, ErrAddressInUse)
			}
			got = want
		} else {
			for ip := n.Subnet.Addr().Next(); n.Subnet.Contains(ip); ip = ip.Next() {
				if _, taken := st.Owners[ip]; !taken && isHostAddr(n, ip) {
					got = ip
					break
				}
			}
			if !got.IsValid() {
				return fmt.Errorf("allocating an address on network %s (%s): %w", n.Name, n.Subnet, ErrNoAddress)
			}
		}
		st.Owners[got] = owner
		return nil
	})
	if err != nil {
		return netip.Addr{}, err
	}
	return got, nil
}

// Release frees every address owner holds on n; releasing nothing is not an
// error.
func (a *IPAM) Release(n Network, owner string) error {
	return a.update(n, func(st *ipamState) error {
		for ip, o := range st.Owners {
			if o == owner {
				delete(st.Owners, ip)
			}
		}
		return nil
	})
}

// Reconcile frees the addresses of owners for which live returns false: the
// engine calls it after a crash or a reboot, when containers went away
// without releasing their addresses.
func (a *IPAM) Reconcile(n Network, live func(owner string) bool) error {
	return a.update(n, func(st *ipamState) error {
		for ip, o := range st.Owners {
			if !live(o) {
				delete(st.Owners, ip)
			}
		}
		return nil
	})
}

// Allocations returns the addresses held on n, by owner.
func (a *IPAM) Allocations(n Network) (map[string]netip.Addr, error) {
	out := map[string]netip.Addr{}
	err := a.update(n, func(st *ipamState) error {
		for ip, o := range st.Owners {
			out[o] = ip
		}
		return errUnchanged
	})
	return out, err
}

// Remove deletes the state of n, when the network itself is removed.
func (a *IPAM) Remove(n Network) error {
	unlock, err := a.lock()
	if err != nil {
		return err
	}
	defer unlock()
	if err := os.Remove(a.file(n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing address state of network %s: %w", n.Name, err)
	}
	return nil
}

// errUnchanged tells update that fn only read the state.
var errUnchanged = errors.New("unchanged")

func (a *IPAM) file(n Network) string { return filepath.Join(a.Dir, n.key()+".json") }

// update runs fn on the state of n under the lock and writes the result
// back, unless fn fails (or returns errUnchanged).
func (a *IPAM) update(n Network, fn func(*ipamState) error) error {
	if a.Dir == "" {
		return errors.New("IPAM has no state directory")
	}
	unlock, err := a.lock()
	if err != nil {
		return err
	}
	defer unlock()

	path := a.file(n)
	st := ipamState{Subnet: n.Subnet, Owners: map[netip.Addr]string{}}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("reading address state of network %s: %w", n.Name, err)
	default:
		if err := json.Unmarshal(data, &st); err != nil {
			return fmt.Errorf("reading address state of network %s from %s: %w", n.Name, path, err)
		}
		if st.Owners == nil {
			st.Owners = map[netip.Addr]string{}
		}
		// Allocations outside the network's subnet (a network recreated
		// under the same ID with another subnet) are stale.
		for ip := range st.Owners {
			if !n.Subnet.Contains(ip) {
				delete(st.Owners, ip)
			}
		}
		st.Subnet = n.Subnet
	}
	if err := fn(&st); err != nil {
		if err == errUnchanged {
			return nil
		}
		return err
	}
	return writeState(path, &st)
}

func writeState(path string, st *ipamState) error {
	data, err := json.MarshalIndent(st, "", "\t")
	if err != nil {
		return fmt.Errorf("encoding address state: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".ipam-*")
	if err != nil {
		return fmt.Errorf("writing address state: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("writing address state %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("writing address state %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing address state %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing address state %s: %w", path, err)
	}
	return nil
}

// lock takes the exclusive flock of the IPAM directory, creating it first.
func (a *IPAM) lock() (unlock func(), err error) {
	if err := os.MkdirAll(a.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating address state directory: %w", err)
	}
	l, err := lockfile.Acquire(filepath.Join(a.Dir, "ipam.lock"), lockfile.Exclusive)
	if err != nil {
		return nil, err
	}
	return func() { l.Unlock() }, nil
}

// isHostAddr reports whether ip may be given to a container: not the
// network, gateway or broadcast address.
func isHostAddr(n Network, ip netip.Addr) bool {
	return ip != n.Subnet.Addr() && ip != n.Gateway && ip != broadcast(n.Subnet)
}

func reservedKind(n Network, ip netip.Addr) string {
	switch ip {
	case n.Gateway:
		return "gateway"
	case n.Subnet.Addr():
		return "network"
	}
	return "broadcast"
}
