package network

import (
	"bufio"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func testNetwork(t testing.TB, subnet string) Network {
	t.Helper()
	n, err := NewNetwork("testnet", "0123456789abcdef0123", netip.MustParsePrefix(subnet), false)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestIPAMAllocateSequenceAndRelease(t *testing.T) {
	a := &IPAM{Dir: t.TempDir()}
	n := testNetwork(t, "10.99.0.0/29") // .1 gateway, .2-.6 hosts, .7 broadcast
	var got []string
	for i := range 5 {
		ip, err := a.Allocate(n, fmt.Sprintf("c%d", i), netip.Addr{})
		if err != nil {
			t.Fatalf("allocation %d: %v", i, err)
		}
		got = append(got, ip.String())
	}
	if want := "10.99.0.2 10.99.0.3 10.99.0.4 10.99.0.5 10.99.0.6"; strings.Join(got, " ") != want {
		t.Fatalf("allocated %s, want %s", strings.Join(got, " "), want)
	}
	_, err := a.Allocate(n, "c5", netip.Addr{})
	if !errors.Is(err, ErrNoAddress) {
		t.Fatalf("allocating in a full network: %v, want ErrNoAddress", err)
	}

	// An owner asking again gets its address back.
	if ip, err := a.Allocate(n, "c3", netip.Addr{}); err != nil || ip.String() != "10.99.0.5" {
		t.Fatalf("allocating again for c3: %v %v, want 10.99.0.5", ip, err)
	}
	if err := a.Release(n, "c1"); err != nil {
		t.Fatal(err)
	}
	if err := a.Release(n, "c1"); err != nil {
		t.Fatalf("releasing twice: %v", err)
	}
	// The freed address is the lowest free one and goes to the next owner.
	if ip, err := a.Allocate(n, "c9", netip.Addr{}); err != nil || ip.String() != "10.99.0.3" {
		t.Fatalf("allocating after a release: %v %v, want 10.99.0.3", ip, err)
	}
}

func TestIPAMWantedAddress(t *testing.T) {
	a := &IPAM{Dir: t.TempDir()}
	n := testNetwork(t, "172.30.0.0/24")
	ip := netip.MustParseAddr("172.30.0.50")
	if got, err := a.Allocate(n, "one", ip); err != nil || got != ip {
		t.Fatalf("allocating --ip %s: %v %v", ip, got, err)
	}
	_, err := a.Allocate(n, "two", ip)
	if !errors.Is(err, ErrAddressInUse) || !strings.Contains(err.Error(), "Address already in use") {
		t.Fatalf("allocating a taken --ip: %v, want Address already in use", err)
	}
	// After release the address can be reused with --ip.
	if err := a.Release(n, "one"); err != nil {
		t.Fatal(err)
	}
	if got, err := a.Allocate(n, "two", ip); err != nil || got != ip {
		t.Fatalf("reusing --ip %s after release: %v %v", ip, got, err)
	}
	// An owner holding an address cannot ask for another.
	if _, err := a.Allocate(n, "two", netip.MustParseAddr("172.30.0.51")); err == nil {
		t.Fatal("an owner got a second address")
	}
	// Automatic allocation skips a wanted address that is taken.
	if got, err := a.Allocate(n, "three", netip.Addr{}); err != nil || got.String() != "172.30.0.2" {
		t.Fatalf("automatic allocation: %v %v", got, err)
	}

	for _, bad := range []string{"172.30.0.0", "172.30.0.1", "172.30.0.255", "172.31.0.9"} {
		if _, err := a.Allocate(n, "bad-"+bad, netip.MustParseAddr(bad)); err == nil {
			t.Errorf("allocating --ip %s succeeded", bad)
		}
	}
}

func TestIPAMReconcileAndRemove(t *testing.T) {
	a := &IPAM{Dir: t.TempDir()}
	n := testNetwork(t, "10.98.0.0/24")
	for _, o := range []string{"alive", "dead1", "dead2"} {
		if _, err := a.Allocate(n, o, netip.Addr{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Reconcile(n, func(o string) bool { return o == "alive" }); err != nil {
		t.Fatal(err)
	}
	got, err := a.Allocations(n)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got["alive"].String() != "10.98.0.2" {
		t.Fatalf("after reconcile: %v, want only alive=10.98.0.2", got)
	}
	if err := a.Remove(n); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(a.Dir, n.ID+".json")); !os.IsNotExist(err) {
		t.Fatalf("state file still there after Remove: %v", err)
	}
	if err := a.Remove(n); err != nil {
		t.Fatalf("removing twice: %v", err)
	}
}

func TestIPAMCorruptState(t *testing.T) {
	a := &IPAM{Dir: t.TempDir()}
	n := testNetwork(t, "10.97.0.0/24")
	if err := os.WriteFile(filepath.Join(a.Dir, n.ID+".json"), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := a.Allocate(n, "x", netip.Addr{})
	if err == nil || !strings.Contains(err.Error(), "testnet") {
		t.Fatalf("allocating from a corrupt file: %v, want an error naming the network", err)
	}
}

func TestIPAMConcurrentGoroutines(t *testing.T) {
	a := &IPAM{Dir: t.TempDir()}
	n := testNetwork(t, "10.96.0.0/24")
	const count = 30
	var wg sync.WaitGroup
	ips := make([]netip.Addr, count)
	errs := make([]error, count)
	for i := range count {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ips[i], errs[i] = a.Allocate(n, fmt.Sprintf("owner-%d", i), netip.Addr{})
		}()
	}
	wg.Wait()
	seen := map[netip.Addr]int{}
	for i := range count {
		if errs[i] != nil {
			t.Fatalf("allocation %d: %v", i, errs[i])
		}
		if j, dup := seen[ips[i]]; dup {
			t.Fatalf("owners %d and %d both got %s", j, i, ips[i])
		}
		seen[ips[i]] = i
	}
	got, err := a.Allocations(n)
	if err != nil || len(got) != count {
		t.Fatalf("state holds %d allocations (%v), want %d", len(got), err, count)
	}
}

// ipamHelperEnv makes the test binary an IPAM client: it allocates
// addresses for the owners named in the variable and prints them.
const ipamHelperEnv = "GEEDOCKER_IPAM_HELPER"

func ipamHelper() int {
	f := strings.Fields(os.Getenv(ipamHelperEnv)) // dir owner...
	n, err := NewNetwork("testnet", "0123456789abcdef0123", netip.MustParsePrefix("10.95.0.0/24"), false)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	a := &IPAM{Dir: f[0]}
	for _, owner := range f[1:] {
		ip, err := a.Allocate(n, owner, netip.Addr{})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println(owner, ip)
	}
	return 0
}

func TestIPAMManyProcesses(t *testing.T) {
	dir := t.TempDir()
	const procs, each = 6, 10
	outs := make([][]byte, procs)
	errs := make([]error, procs)
	var wg sync.WaitGroup
	for p := range procs {
		owners := []string{dir}
		for i := range each {
			owners = append(owners, "p"+strconv.Itoa(p)+"-"+strconv.Itoa(i))
		}
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), ipamHelperEnv+"="+strings.Join(owners, " "))
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[p], errs[p] = cmd.Output()
		}()
	}
	wg.Wait()
	seen := map[string]string{}
	for p := range procs {
		if errs[p] != nil {
			t.Fatalf("process %d: %v", p, errs[p])
		}
		sc := bufio.NewScanner(strings.NewReader(string(outs[p])))
		for sc.Scan() {
			owner, ip, _ := strings.Cut(sc.Text(), " ")
			if other, dup := seen[ip]; dup {
				t.Fatalf("%s and %s both got %s", other, owner, ip)
			}
			seen[ip] = owner
		}
	}
	if len(seen) != procs*each {
		t.Fatalf("%d addresses allocated, want %d", len(seen), procs*each)
	}
}

// BenchmarkAllocate measures one Allocate and Release pair in a network
// that already holds 100 addresses.
func BenchmarkAllocate(b *testing.B) {
	a := &IPAM{Dir: b.TempDir()}
	n := testNetwork(b, "10.94.0.0/16")
	for i := range 100 {
		if _, err := a.Allocate(n, fmt.Sprintf("base-%d", i), netip.Addr{}); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if _, err := a.Allocate(n, "x", netip.Addr{}); err != nil {
			b.Fatal(err)
		}
		if err := a.Release(n, "x"); err != nil {
			b.Fatal(err)
		}
	}
}
