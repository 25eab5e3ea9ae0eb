//go:build linux

package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
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
