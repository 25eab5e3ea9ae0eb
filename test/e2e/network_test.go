//go:build linux

package e2e

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/geedocker/geedocker/internal/dns"
)

// inNetns runs fn on a thread that has joined the network namespace at
// path; sockets made there stay in that namespace. The thread is thrown
// away afterwards.
func inNetns(t *testing.T, path string, fn func() error) error {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		goruntime.LockOSThread() // never unlocked: the thread dies with the goroutine
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- err
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			errc <- err
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// ipIn runs `ip` in a namespace.
func ipIn(t *testing.T, netns string, args ...string) string {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"-n", filepath.Base(netns)}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip -n %s %s: %v %s", filepath.Base(netns), strings.Join(args, " "), err, out)
	}
	return string(out)
}

// outsideWorld adds a second test namespace joined to the engine's by a veth:
// the engine's side is 198.51.100.1/24 (the "host's address"), the outside
// 198.51.100.2/24. It returns the outside namespace's path.
func (e *env) outsideWorld() string {
	e.t.Helper()
	outside := newTestNetns(e.t)
	ipIn(e.t, e.netns, "link", "add", "out0", "type", "veth", "peer", "name", "out1", "netns", filepath.Base(outside))
	ipIn(e.t, e.netns, "addr", "add", "198.51.100.1/24", "dev", "out0")
	ipIn(e.t, e.netns, "link", "set", "out0", "up")
	ipIn(e.t, outside, "addr", "add", "198.51.100.2/24", "dev", "out1")
	ipIn(e.t, outside, "link", "set", "out1", "up")
	return outside
}

// tcpGet connects from the namespace netns to addr, sends nothing, and
// returns what the server says (an HTTP GET for web servers).
func httpGet(t *testing.T, netns, url string) (string, error) {
	t.Helper()
	// (busybox wget -T crashes: timeout(1) bounds it instead.)
	out, err := exec.Command("nsenter", "--net="+netns, "timeout", "10", "busybox", "wget", "-q", "-O-", url).CombinedOutput()
	return string(out), err
}

var (
	udpechoOnce sync.Once
	udpechoBin  string
	udpechoErr  error
)

func buildUDPEcho(t *testing.T) string {
	t.Helper()
	udpechoOnce.Do(func() {
		dir, err := os.MkdirTemp("", "geedocker-udpecho-")
		if err != nil {
			udpechoErr = err
			return
		}
		udpechoBin = filepath.Join(dir, "udpecho")
		cmd := exec.Command("go", "build", "-o", udpechoBin, "./testdata/udpecho")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			udpechoErr = fmt.Errorf("%v %s", err, out)
		}
	})
	if udpechoErr != nil {
		t.Fatalf("building udpecho: %v", udpechoErr)
	}
	t.Cleanup(func() {}) // the binary's dir is removed by TestMain's process exit? keep it simple
	return udpechoBin
}

func TestBridgeNetworking(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	outside := e.outsideWorld()
	// A web server with published TCP and UDP ports.
	udpecho := buildUDPEcho(t)
	web := e.detached("--name", "web", "-p", "8080:80", "-p", "5300:53/udp", "-v", udpecho+":/udpecho:ro",
		"busybox", "sh", "-c", "echo hello-web > /index.html; /udpecho 53 & httpd -f -p 80 -h /")
	e.awaitLog(web, "listening")
	ip := e.inspectField("web", "{{.NetworkSettings.IPAddress}}")
	gw := e.inspectField("web", "{{.NetworkSettings.Gateway}}")
	if !strings.HasPrefix(ip, "172.17.") || gw != "172.17.0.1" {
		t.Errorf("web: IP %q gateway %q, want 172.17.x.y via 172.17.0.1", ip, gw)
	}
	if mac := e.inspectField("web", "{{.NetworkSettings.MacAddress}}"); !strings.HasPrefix(mac, "02:42:ac:11:") {
		t.Errorf("MAC %q is not derived from the IP", mac)
	}
	if got := e.ok("port", "web"); !strings.Contains(got, "80/tcp -> 0.0.0.0:8080") || !strings.Contains(got, "53/udp -> 0.0.0.0:5300") {
		t.Errorf("port web: %q", got)
	}
	if ps := e.ok("ps"); !strings.Contains(ps, "0.0.0.0:8080->80/tcp") {
		t.Errorf("ps PORTS:\n%s", ps)
	}
	// Container -> gateway, container -> container by IP.
	if out := e.sh(nil, "ping -c1 -W5 "+gw+" >/dev/null && echo gw-ok; timeout 10 wget -q -O- http://"+ip+"/index.html"); out != "gw-ok\nhello-web\n" {
		t.Errorf("container -> gateway, -> web by IP: %q", out)
	}
	// Published TCP port: from the host's address, from 127.0.0.1, from the
	// outside world.
	for _, c := range []struct{ ns, url string }{
		{e.netns, "http://198.51.100.1:8080/index.html"},
		{e.netns, "http://127.0.0.1:8080/index.html"},
		{outside, "http://198.51.100.1:8080/index.html"},
	} {
		if out, err := httpGet(t, c.ns, c.url); err != nil || out != "hello-web\n" {
			t.Errorf("GET %s from %s: %q %v", c.url, filepath.Base(c.ns), out, err)
		}
	}
	// Published UDP port, from the host's address and from outside.
	for _, c := range []struct{ ns, addr string }{{e.netns, "198.51.100.1:5300"}, {e.netns, "127.0.0.1:5300"}, {outside, "198.51.100.1:5300"}} {
		var reply string
		err := inNetns(t, c.ns, func() error {
			conn, err := net.Dial("udp", c.addr)
			if err != nil {
				return err
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			conn.Write([]byte("ping"))
			buf := make([]byte, 100)
			n, err := conn.Read(buf)
			reply = string(buf[:n])
			return err
		})
		if err != nil || reply != "echo:ping" {
			t.Errorf("UDP %s from %s: %q %v", c.addr, filepath.Base(c.ns), reply, err)
		}
	}
	// Masquerade: a connection to the outside world arrives from the host's
	// address. The outside server replies with the peer address it saw.
	var seen string
	var wg sync.WaitGroup
	ready := make(chan net.Listener, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		inNetns(t, outside, func() error {
			ln, err := net.Listen("tcp", "198.51.100.2:9000")
			if err != nil {
				ready <- nil
				return err
			}
			ready <- ln
			conn, err := ln.Accept()
			if err != nil {
				return err
			}
			seen = conn.RemoteAddr().(*net.TCPAddr).IP.String()
			conn.Write([]byte("you are " + seen + "\n"))
			conn.Close()
			return nil
		})
	}()
	ln := <-ready
	if ln == nil {
		t.Fatal("outside server did not start")
	}
	out := e.sh(nil, "nc -w5 198.51.100.2 9000")
	ln.Close()
	wg.Wait()
	if seen != "198.51.100.1" || out != "you are 198.51.100.1\n" {
		t.Errorf("masquerade: the outside saw %q (container got %q), want the host's 198.51.100.1", seen, out)
	}
	// A taken port: a clear error, and nothing left behind.
	before := ipIn(t, e.netns, "-o", "link")
	r := e.fails(125, "8080", "run", "-d", "--name", "clash", "-p", "8080:80", "busybox", "sleep", "60")
	_ = r
	if got := e.gd("ps", "-aq", "--filter", "name=clash"); got.Stdout != "" {
		t.Errorf("a container whose port was taken is left: %q", got.Stdout)
	}
	if after := ipIn(t, e.netns, "-o", "link"); strings.Count(after, "veth") != strings.Count(before, "veth") {
		t.Errorf("veths before %d, after %d", strings.Count(before, "veth"), strings.Count(after, "veth"))
	}
	// rm -f releases the veth, the address and the rules.
	e.ok("rm", "-f", "web")
	e.assertNetworkClean()
}

// assertNetworkClean checks that no container's veth, rule or address is
// left in the test's namespace.
func (e *env) assertNetworkClean() {
	e.t.Helper()
	if links := ipIn(e.t, e.netns, "-o", "link"); strings.Contains(links, "veth") {
		e.t.Errorf("veths left:\n%s", links)
	}
	out, _ := exec.Command("nsenter", "--net="+e.netns, "nft", "list", "table", "inet", "geedocker").CombinedOutput()
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, `comment "port `) {
			e.t.Errorf("rule left: %s", strings.TrimSpace(line))
		}
	}
	ipamDir := filepath.Join(e.root, "networks", "ipam")
	files, _ := os.ReadDir(ipamDir)
	for _, f := range files {
		b, _ := os.ReadFile(filepath.Join(ipamDir, f.Name()))
		if strings.Count(string(b), ".") > 3 && strings.Contains(string(b), "\"") && strings.Contains(string(b), ":") {
			if strings.Contains(string(b), "172.") && !strings.Contains(string(b), "{}") {
				e.t.Errorf("addresses still allocated in %s: %s", f.Name(), b)
			}
		}
	}
}

func TestUserNetworkDNS(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	e.fails(125, "network not found: nosuch", "run", "--rm", "--network", "nosuch", "busybox", "true")
	e.ok("network", "create", "--subnet", "10.123.0.0/24", "appnet")
	if ls := e.ok("network", "ls"); !strings.Contains(ls, "appnet") || !strings.Contains(ls, "bridge") {
		t.Errorf("network ls:\n%s", ls)
	}
	// A client started first finds a server started later, by name and by
	// alias: the DNS answers from the containers that run now.
	client := e.detached("--network", "appnet", "busybox", "sh", "-c",
		"until timeout 2 wget -q -O- http://api/index.html; do sleep 0.1; done; until timeout 2 wget -q -O- http://api-alias/index.html; do sleep 0.1; done")
	e.detached("--network", "appnet", "--name", "api", "--network-alias", "api-alias", "--ip", "10.123.0.50",
		"busybox", "sh", "-c", "echo from-api > /index.html; httpd -f -p 80 -h /")
	if code := e.ok("wait", client); code != "0\n" {
		t.Errorf("client exit %q", code)
	}
	if got := e.ok("logs", client); got != "from-api\nfrom-api\n" {
		t.Errorf("client saw %q", got)
	}
	if got := e.inspectField("api", "{{.NetworkSettings.IPAddress}}"); got != "10.123.0.50" {
		t.Errorf("--ip: %q", got)
	}
	out := e.sh([]string{"--network", "appnet", "--add-host", "db.local:10.9.9.9", "--dns-search", "example.test"},
		"cat /etc/resolv.conf; grep db.local /etc/hosts; nslookup nosuchname 127.0.0.11 >/dev/null 2>&1 || echo nxdomain")
	for _, want := range []string{"nameserver 127.0.0.11", "search example.test", "10.9.9.9\tdb.local", "nxdomain"} {
		if !strings.Contains(out, want) {
			t.Errorf("user network config lacks %q:\n%s", want, out)
		}
	}
	e.fails(1, "has active endpoints", "network", "rm", "appnet")
	e.ok("rm", "-f", "api")
	e.ok("rm", "-f", client)
	e.ok("network", "rm", "appnet")
	e.assertNetworkClean()
}

func TestParallelAddresses(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	var wg sync.WaitGroup
	errs := make(chan string, 30)
	for i := 0; i < 30; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := e.gd("run", "-d", "busybox", "sleep", "300"); r.Code != 0 {
				errs <- r.Stderr
			}
		}()
	}
	wg.Wait()
	close(errs)
	for s := range errs {
		t.Error(s)
	}
	ids := strings.Fields(e.ok("ps", "-q", "--no-trunc"))
	addrs := map[string]bool{}
	for _, id := range ids {
		addrs[e.inspectField(id, "{{.NetworkSettings.IPAddress}}")] = true
	}
	if len(ids) != 30 || len(addrs) != 30 {
		t.Errorf("%d containers with %d distinct addresses, want 30 and 30", len(ids), len(addrs))
	}
	// One monitor SIGKILLed: the next command releases its network.
	id := ids[0]
	pid := e.inspectField(id, "{{.State.Pid}}")
	var p int
	fmt.Sscan(pid, &p)
	monitor := parentOf(t, p)
	unix.Kill(monitor, unix.SIGKILL)
	waitProcessGone(t, monitor)
	if got := e.inspectField(id, "{{.State.Status}}"); got != "exited" {
		t.Errorf("after its monitor was killed: %s", got)
	}
	e.ok(append([]string{"rm", "-f"}, ids...)...)
	e.assertNetworkClean()
	e.assertNoCgroups()
}

// network connect and disconnect, on a running container.
func TestNetworkConnect(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	e.ok("network", "create", "--subnet", "10.124.0.0/24", "back")
	e.detached("--name", "app", "busybox", "sh", "-c", "echo from-app > /index.html; httpd -f -p 80 -h /")
	e.ok("network", "connect", "back", "app")
	ip := e.inspectField("app", `{{(index .NetworkSettings.Networks "back").IPAddress}}`)
	if !strings.HasPrefix(ip, "10.124.0.") {
		t.Fatalf("address on the connected network: %q", ip)
	}
	if got := e.ok("exec", "app", "sh", "-c", "ip -o -4 addr show eth1 | awk '{print $4}'"); got != ip+"/24\n" {
		t.Errorf("eth1 in the container: %q, want %s/24", got, ip)
	}
	// A container on that network reaches it by IP and by name.
	if out := e.sh([]string{"--network", "back"}, "timeout 10 wget -q -O- http://"+ip+"/index.html; timeout 10 wget -q -O- http://app/index.html"); out != "from-app\nfrom-app\n" {
		t.Errorf("reaching a connected container: %q", out)
	}
	e.fails(1, "already exists in network back", "network", "connect", "back", "app")
	// The connection lasts across a restart.
	e.ok("stop", "-t", "0", "app")
	e.ok("start", "app")
	if got := e.ok("exec", "app", "sh", "-c", "ip -o -4 addr show eth1 | awk '{print $4}'"); !strings.HasPrefix(got, "10.124.0.") {
		t.Errorf("eth1 after a restart: %q", got)
	}
	e.fails(1, "has active endpoints", "network", "rm", "back")
	e.ok("network", "disconnect", "back", "app")
	if got := e.gd("exec", "app", "ip", "link", "show", "eth1"); got.Code == 0 {
		t.Errorf("eth1 still there after disconnect: %s", got.Stdout)
	}
	e.ok("network", "rm", "back")
	e.ok("rm", "-f", "app")
	e.assertNetworkClean()
}

// upstreamDNS runs a DNS server at 198.51.100.2:53 in the outside namespace
// (see outsideWorld), knowing one name, upstream.test, until the test ends.
func upstreamDNS(t *testing.T, outside string) {
	t.Helper()
	var udp net.PacketConn
	var tcp net.Listener
	err := inNetns(t, outside, func() error {
		var err error
		if udp, err = net.ListenPacket("udp4", "198.51.100.2:53"); err != nil {
			return err
		}
		tcp, err = net.Listen("tcp4", "198.51.100.2:53")
		return err
	})
	if err != nil {
		t.Fatalf("upstream DNS: %v", err)
	}
	srv := dns.NewServer(udp, tcp, func(name string) []netip.Addr {
		if name == "upstream.test" {
			return []netip.Addr{netip.MustParseAddr("192.0.2.77")}
		}
		return nil
	}, nil)
	done := make(chan struct{})
	go func() { srv.Serve(context.Background()); close(done) }()
	t.Cleanup(func() { srv.Close(); <-done })
}

// nslookup resolves name in a running container through 127.0.0.11, as its
// programs do: the A addresses, sorted, or "NXDOMAIN".
func (e *env) nslookup(ctr, name string) string {
	e.t.Helper()
	r := e.gd("exec", ctr, "nslookup", "-type=a", name, "127.0.0.11")
	if strings.Contains(r.Stdout+r.Stderr, "NXDOMAIN") {
		return "NXDOMAIN"
	}
	var addrs []string
	answers := false
	for _, line := range strings.Split(r.Stdout, "\n") {
		if strings.HasPrefix(line, "Name:") {
			answers = true
		}
		if f := strings.Fields(line); answers && len(f) == 2 && f[0] == "Address:" {
			addrs = append(addrs, f[1])
		}
	}
	if len(addrs) == 0 {
		return fmt.Sprintf("no answer (exit %d): %s %s", r.Code, r.Stdout, r.Stderr)
	}
	sort.Strings(addrs)
	return strings.Join(addrs, " ")
}

// resolverPid reads the pid file of the env's DNS resolver; 0 when none.
func (e *env) resolverPid() int {
	b, err := os.ReadFile(filepath.Join(runDir(e.root), "dns", "resolver.pid"))
	if err != nil {
		return 0
	}
	var pid int
	fmt.Sscan(string(b), &pid)
	return pid
}

// awaitCond polls cond until it returns "", or fails the test with its
// last word after a generous deadline (a bound on a hang, not a timing
// requirement).
func awaitCond(t *testing.T, what string, cond func() string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		msg := cond()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s", what, msg)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The resolver of user networks: names and aliases on each network only,
// other names forwarded to the container's upstream, a default-bridge
// container connected to a user network and disconnected, and the resolver
// killed.
func TestNetworkResolver(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	upstreamDNS(t, e.outsideWorld())
	e.ok("network", "create", "--subnet", "10.125.0.0/24", "front")
	e.ok("network", "create", "--subnet", "10.126.0.0/24", "back")
	sleeper := func(args ...string) string {
		return e.detached(append(append([]string{"--dns", "198.51.100.2"}, args...), "busybox", "sleep", "600")...)
	}
	sleeper("--name", "client", "--network", "front")
	// Started after the client.
	sleeper("--name", "api", "--network", "front", "--network-alias", "api-alias", "--ip", "10.125.0.50")
	sleeper("--name", "db", "--network", "back", "--ip", "10.126.0.60")
	sleeper("--name", "legacy") // on the default network

	type lookup struct{ ctr, name, want string }
	check := func(step string, ls []lookup) {
		t.Helper()
		for _, l := range ls {
			if got := e.nslookup(l.ctr, l.name); got != l.want {
				t.Errorf("%s: in %s, %s = %q, want %q", step, l.ctr, l.name, got, l.want)
			}
		}
	}
	check("started", []lookup{
		{"client", "api", "10.125.0.50"},
		{"client", "API-Alias", "10.125.0.50"},
		{"client", "db", "NXDOMAIN"},              // another network's: not seen, and unknown upstream
		{"client", "upstream.test", "192.0.2.77"}, // forwarded to --dns, from the container's namespace
		{"api", "client", e.inspectField("client", "{{.NetworkSettings.IPAddress}}")},
		{"db", "api", "NXDOMAIN"},
	})
	resolv := func(ctr string) string { return e.ok("exec", ctr, "cat", "/etc/resolv.conf") }
	if rc := resolv("client"); !strings.Contains(rc, "nameserver 127.0.0.11\n") || strings.Contains(rc, "198.51.100.2") {
		t.Errorf("resolv.conf on a user network:\n%s", rc)
	}
	if rc := resolv("legacy"); !strings.Contains(rc, "nameserver 198.51.100.2") || strings.Contains(rc, "127.0.0.11") {
		t.Errorf("resolv.conf on the default network:\n%s", rc)
	}

	// A container of the default network connected to a user network gets
	// its names, and is named there.
	e.ok("network", "connect", "back", "legacy")
	legacyIP := e.inspectField("legacy", `{{(index .NetworkSettings.Networks "back").IPAddress}}`)
	if rc := resolv("legacy"); !strings.Contains(rc, "nameserver 127.0.0.11\n") {
		t.Errorf("resolv.conf after connect:\n%s", rc)
	}
	check("connected", []lookup{
		{"legacy", "db", "10.126.0.60"},
		{"legacy", "upstream.test", "192.0.2.77"},
		{"legacy", "api", "NXDOMAIN"},
		{"db", "legacy", legacyIP},
	})
	e.ok("network", "disconnect", "back", "legacy")
	check("disconnected", []lookup{{"db", "legacy", "NXDOMAIN"}})
	if rc := resolv("legacy"); !strings.Contains(rc, "nameserver 198.51.100.2") || strings.Contains(rc, "127.0.0.11") {
		t.Errorf("resolv.conf after disconnect:\n%s", rc)
	}

	// Restarted: a new namespace behind the same pinned path, served anew.
	e.ok("restart", "-t", "0", "client")
	check("client restarted", []lookup{{"client", "api", "10.125.0.50"}, {"api", "client", e.inspectField("client", "{{.NetworkSettings.IPAddress}}")}})

	// Killed: the containers' monitors start another at once.
	pid := e.resolverPid()
	if pid == 0 {
		t.Fatal("no resolver pid file")
	}
	if err := unix.Kill(pid, unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitProcessGone(t, pid)
	awaitCond(t, "names after the resolver was killed", func() string {
		if got := e.nslookup("client", "api"); got != "10.125.0.50" {
			return "client resolves api: " + got
		}
		return ""
	})
	if again := e.resolverPid(); again == pid || again == 0 {
		t.Errorf("resolver pid %d after the kill of %d", again, pid)
	}
	check("restarted", []lookup{{"db", "client", "NXDOMAIN"}, {"api", "upstream.test", "192.0.2.77"}})

	// With the last container of the user networks, the resolver exits.
	pid = e.resolverPid()
	e.ok("rm", "-f", "client", "api", "db", "legacy")
	waitProcessGone(t, pid)
	if again := e.resolverPid(); again != 0 {
		t.Errorf("a resolver pid file is left: %d", again)
	}
	e.ok("network", "rm", "front", "back")
	e.assertNetworkClean()
}
