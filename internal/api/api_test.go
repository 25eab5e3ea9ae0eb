package api

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/engine"
	"github.com/geedocker/geedocker/internal/errdefs"
)

func newTestServer(t *testing.T) (*Server, http.Handler) {
	t.Helper()
	e, err := engine.New(t.TempDir(), engine.Config{})
	if err != nil {
		t.Fatal(err)
	}
	s := New(e, nil, "test")
	return s, s.Handler()
}

func do(h http.Handler, method, path, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestParseHost(t *testing.T) {
	cases := []struct {
		in      string
		want    Address
		wantErr string
	}{
		{"unix:///run/gd.sock", Address{"unix", "/run/gd.sock"}, ""},
		{"unix://", Address{"unix", "/run/geedocker.sock"}, ""},
		{"/tmp/x.sock", Address{"unix", "/tmp/x.sock"}, ""},
		{"tcp://127.0.0.1:2375", Address{"tcp", "127.0.0.1:2375"}, ""},
		{"tcp://localhost", Address{"tcp", "localhost:2375"}, ""},
		{"tcp://[::1]:2376", Address{"tcp", "[::1]:2376"}, ""},
		{"tcp://0.0.0.0:2375", Address{}, "only on a loopback address"},
		{"tcp://192.168.1.5:2375", Address{}, "only on a loopback address"},
		{"tcp://", Address{}, "invalid -H"},
		{"fd://", Address{}, "invalid -H"},
		{"ssh://host", Address{}, "invalid -H"},
	}
	for _, c := range cases {
		got, err := ParseHost(c.in)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("ParseHost(%q) = %v, %v; want error with %q", c.in, got, err, c.wantErr)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseHost(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

func TestVersionPrefixAndPing(t *testing.T) {
	_, h := newTestServer(t)
	cases := []struct {
		method, path string
		status       int
		body         string
	}{
		{"GET", "/_ping", 200, "OK"},
		{"HEAD", "/_ping", 200, ""},
		{"GET", "/v1.41/_ping", 200, "OK"},
		{"GET", "/v1.57/_ping", 200, "OK"},
		{"GET", "/v1.12/_ping", 400, "client version 1.12 is too old"},
		{"GET", "/v1.41/nothing/here", 404, `{"message":"page not found"}`},
	}
	for _, c := range cases {
		w := do(h, c.method, c.path, "")
		if w.Code != c.status || !strings.Contains(w.Body.String(), c.body) {
			t.Errorf("%s %s: %d %q; want %d with %q", c.method, c.path, w.Code, w.Body, c.status, c.body)
		}
		if got := w.Header().Get("Api-Version"); got != APIVersion {
			t.Errorf("%s %s: Api-Version %q", c.method, c.path, got)
		}
		if got := w.Header().Get("OSType"); got != "linux" {
			t.Errorf("%s %s: OSType %q", c.method, c.path, got)
		}
	}
}

func TestVersion(t *testing.T) {
	_, h := newTestServer(t)
	w := do(h, "GET", "/v1.50/version", "")
	var v struct{ ApiVersion, MinAPIVersion, Version string }
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil || w.Code != 200 {
		t.Fatalf("version: %d %s", w.Code, w.Body)
	}
	if v.ApiVersion != APIVersion || v.MinAPIVersion != MinAPIVersion || v.Version != "test" {
		t.Errorf("version: %+v", v)
	}
}

// Errors are Docker's: JSON with a message, the status of the class, and
// nothing changed by a bad request.
func TestErrors(t *testing.T) {
	s, h := newTestServer(t)
	cases := []struct {
		method, path, body string
		status             int
		message            string
	}{
		{"GET", "/containers/nope/json", "", 404, "No such container: nope"},
		{"DELETE", "/containers/nope", "", 404, "No such container: nope"},
		{"POST", "/containers/nope/start", "", 404, "No such container: nope"},
		{"GET", "/images/nope/json", "", 404, "No such image: nope"},
		{"DELETE", "/images/nope", "", 404, "No such image: nope"},
		{"GET", "/networks/nope", "", 404, "network not found: nope"},
		{"GET", "/exec/nope/json", "", 404, "No such exec instance: nope"},
		{"POST", "/containers/create", "{", 400, "invalid JSON"},
		{"POST", "/containers/create", `{"Image": 5}`, 400, "invalid JSON"},
		{"POST", "/containers/create", `{}`, 400, "config cannot be empty"},
		{"POST", "/containers/create", `{"Cmd":["sh"]}`, 400, "no image specified"},
		{"POST", "/containers/create", `{"Image":"busybox"}`, 404, "No such image: busybox"},
		{"POST", "/containers/create", `{"Image":"x","HostConfig":{"SecurityOpt":["apparmor=x"]}}`, 400, "invalid --security-opt"},
		{"POST", "/containers/create", `{"Image":"x"` + strings.Repeat(" ", maxBody) + `}`, 400, "request body larger than"},
		{"POST", "/networks/create", `{"Name": ""}`, 400, "network name is required"},
		{"POST", "/networks/create", `{"Name": "n", "Driver": "overlay"}`, 400, "only the bridge driver"},
		{"POST", "/networks/create", `[`, 400, "invalid JSON"},
		{"GET", "/containers/json?filters=nonsense", "", 400, "invalid filter"},
		{"GET", "/containers/json?filters=%7B%22color%22%3A%7B%22red%22%3Atrue%7D%7D", "", 400, "invalid filter 'color'"},
		{"POST", "/images/busybox/tag", "", 400, "repo parameter"},
		{"POST", "/images/create", "", 400, "fromImage"},
		{"GET", "/containers/nope/logs?stdout=1", "", 404, "No such container"},
		{"POST", "/containers/prune?filters=%7B%22since%22%3A%7B%2210m%22%3Atrue%7D%7D", "", 400, "invalid filter 'since'"},
		{"POST", "/images/prune?filters=%7B%22color%22%3A%7B%22a%22%3Atrue%7D%7D", "", 400, "invalid filter 'color'"},
		{"POST", "/containers/nope/restart", "", 404, "No such container: nope"},
		{"POST", "/containers/nope/stop?t=x", "", 404, "No such container: nope"},
	}
	for _, c := range cases {
		w := do(h, c.method, c.path, c.body)
		var msg struct{ Message string }
		if err := json.Unmarshal(w.Body.Bytes(), &msg); err != nil {
			t.Errorf("%s %s: body %q is not JSON", c.method, c.path, w.Body)
		}
		if w.Code != c.status || !strings.Contains(msg.Message, c.message) {
			t.Errorf("%s %s: %d %q; want %d with %q", c.method, c.path, w.Code, msg.Message, c.status, c.message)
		}
	}
	cts, err := s.Engine.ListContainers()
	if err != nil || len(cts) != 0 {
		t.Errorf("containers after bad requests: %v, %v", cts, err)
	}
	nets, _ := s.Engine.Networks()
	for _, n := range nets {
		if n.Name == "n" {
			t.Errorf("network made by a bad request")
		}
	}
}

func TestEmptyStore(t *testing.T) {
	_, h := newTestServer(t)
	cases := []struct{ method, path, want string }{
		{"GET", "/containers/json?all=1", `[]`},
		{"GET", "/images/json", `[]`},
		{"POST", "/containers/prune", `{"ContainersDeleted":[],"SpaceReclaimed":0}`},
		{"POST", "/images/prune?filters=%7B%22dangling%22%3A%7B%22true%22%3Atrue%7D%7D", `{"ImagesDeleted":[],"SpaceReclaimed":0}`},
		{"POST", "/networks/prune", `{"NetworksDeleted":[]}`},
	}
	for _, c := range cases {
		w := do(h, c.method, c.path, "")
		if w.Code != 200 || strings.TrimSpace(w.Body.String()) != c.want {
			t.Errorf("%s %s: %d %q, want %s", c.method, c.path, w.Code, w.Body, c.want)
		}
	}
}

func TestRunOptions(t *testing.T) {
	init := true
	pids := int64(50)
	req := &ctypes.CreateRequest{
		Config: &ctypes.Config{
			Image: "busybox", Cmd: []string{"sh"}, Entrypoint: []string{""}, Env: []string{"A=1"},
			Tty: true, OpenStdin: true, User: "nobody", WorkingDir: "/tmp", Hostname: "h",
		},
		HostConfig: &ctypes.HostConfig{
			NetworkMode: "default", AutoRemove: true, Init: &init, Binds: []string{"/a:/b:ro"},
			Tmpfs:        map[string]string{"/run": "size=1m", "/tmp": ""},
			PortBindings: network.PortMap{network.MustParsePort("80/tcp"): {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: "8080"}}, network.MustParsePort("53/udp"): {{HostPort: "5353"}}},
			DNS:          []netip.Addr{netip.MustParseAddr("1.1.1.1")},
			SecurityOpt:  []string{"no-new-privileges", "seccomp=unconfined"},
			LogConfig:    ctypes.LogConfig{Config: map[string]string{"max-size": "1m", "max-file": "2"}},
			Resources:    ctypes.Resources{Memory: 1 << 26, NanoCPUs: 5e8, PidsLimit: &pids},
			ConsoleSize:  [2]uint{24, 80},
		},
		NetworkingConfig: &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{
			"default": {Aliases: []string{"web"}},
			"other":   {Aliases: []string{"ignored"}},
		}},
	}
	o, err := runOptions("/c1", req)
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, got, want any) {
		t.Helper()
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(want)
		if !bytes.Equal(gb, wb) {
			t.Errorf("%s = %s, want %s", what, gb, wb)
		}
	}
	check("Name", o.Name, "c1")
	check("Pull", o.Pull, engine.PullNever)
	check("Remove", o.Remove, true)
	check("Network", o.Spec.Network, "bridge")
	check("Entrypoint", o.Spec.Entrypoint, []string{})
	check("Init", o.Spec.Init, true)
	check("Tmpfs", o.Spec.Tmpfs, []string{"/run:size=1m", "/tmp"})
	check("Publish", o.Publish, []string{"127.0.0.1:8080:80/tcp", "5353:53/udp"})
	check("DNS", o.DNS, []string{"1.1.1.1"})
	check("NoNewPrivileges", o.Spec.NoNewPrivileges, true)
	check("Seccomp", o.Spec.Seccomp, "unconfined")
	check("LogOpts", o.LogOpts, []string{"max-file=2", "max-size=1m"})
	check("PidsLimit", o.Spec.Resources.PidsLimit, 50)
	check("Aliases", o.Aliases, []string{"web"})
	check("ConsoleSize", o.Spec.ConsoleSize, map[string]uint{"height": 24, "width": 80})
	if o.Stdin == nil {
		t.Error("OpenStdin: no stdin marker")
	}
	if _, err := runOptions("", &ctypes.CreateRequest{}); err == nil {
		t.Error("a request without Config was accepted")
	}
}

func TestFilters(t *testing.T) {
	c := &container.Container{ID: "abcdef", Name: "web", ImageName: "busybox", Image: "sha256:1234",
		State:  container.State{Status: "running", Running: true},
		Config: container.Config{Labels: map[string]string{"app": "x", "tier": "front"}}}
	cases := []struct {
		filter string
		want   bool
	}{
		{``, true},
		{`{"name":{"we":true}}`, true},
		{`{"name":{"db":true}}`, false},
		{`{"name":{"db":true,"web":true}}`, true},
		{`{"id":{"abc":true}}`, true},
		{`{"status":{"exited":true}}`, false},
		{`{"status":["running"]}`, true},
		{`{"label":{"app=x":true,"tier":true}}`, true},
		{`{"label":{"app=x":true,"tier=back":true}}`, false},
		{`{"ancestor":{"busybox":true}}`, true},
		{`{"name":{"web":true},"status":{"exited":true}}`, false},
	}
	for _, c2 := range cases {
		f, err := parseFilters(c2.filter)
		if err != nil {
			t.Fatalf("%s: %v", c2.filter, err)
		}
		if got := f.matchContainer(c); got != c2.want {
			t.Errorf("%s: %v, want %v", c2.filter, got, c2.want)
		}
	}
}

// demux reads Docker's multiplexed frames.
func demux(t *testing.T, b []byte) (stdout, stderr string) {
	t.Helper()
	r := bytes.NewReader(b)
	for {
		var hdr [8]byte
		if _, err := io.ReadFull(r, hdr[:]); err == io.EOF {
			return
		} else if err != nil {
			t.Fatal(err)
		}
		p := make([]byte, binary.BigEndian.Uint32(hdr[4:]))
		io.ReadFull(r, p)
		switch hdr[0] {
		case streamStdout:
			stdout += string(p)
		case streamStderr:
			stderr += string(p)
		default:
			t.Fatalf("stream %d", hdr[0])
		}
	}
}

func TestOutputs(t *testing.T) {
	var buf bytes.Buffer
	o, e := outputs(&buf, false, true, true)
	o.Write([]byte("out1 "))
	e.Write([]byte("err"))
	o.Write([]byte("out2"))
	o.Write(nil)
	if so, se := demux(t, buf.Bytes()); so != "out1 out2" || se != "err" {
		t.Errorf("demuxed %q %q", so, se)
	}
	buf.Reset()
	o, e = outputs(&buf, true, true, true)
	o.Write([]byte("raw"))
	if e != nil || buf.String() != "raw" {
		t.Errorf("tty output: %q, stderr writer %v", buf.String(), e)
	}
	_, e = outputs(&buf, false, true, false)
	if e != nil {
		t.Error("stderr not asked for, yet a writer")
	}
}

func TestStatusOf(t *testing.T) {
	cases := []struct {
		err  error
		want int
	}{
		{container.ErrNotFound, 404},
		{fmt.Errorf("%w: web", container.ErrNotFound), 404},
		{engine.ErrNoSuchImage, 404},
		{engine.ErrNoSuchNetwork, 404},
		{container.ErrNameInUse, 409},
		{engine.ErrNotRunning, 409},
		{engine.ErrConflict, 409},
		{container.ErrAmbiguous, 400},
		{errdefs.NotFound(errors.New("no such exec")), 404},
		{errdefs.Conflict(errors.New("network with name n already exists")), 409},
		{errdefs.InvalidArgument(errors.New("invalid network name")), 400},
		{errdefs.Unavailable(errors.New("containers need Linux")), 503},
		{errdefs.Forbidden(errors.New("host is a pre-defined network and cannot be removed")), 403},
		{badRequest(io.ErrUnexpectedEOF), 400},
		{notFound(io.ErrUnexpectedEOF), 404},
		{conflict(io.ErrUnexpectedEOF), 409},
		// Text alone no longer decides: only a class does.
		{errors.New("container is running"), 500},
		{io.ErrUnexpectedEOF, 500},
	}
	for _, c := range cases {
		if got := statusOf(c.err); got != c.want {
			t.Errorf("statusOf(%v) = %d, want %d", c.err, got, c.want)
		}
	}
	if got := statusOf(userError(io.ErrUnexpectedEOF)); got != 400 {
		t.Errorf("userError of an unclassed error: %d", got)
	}
	if got := statusOf(userError(container.ErrNameInUse)); got != 409 {
		t.Errorf("userError keeps a class: %d", got)
	}
}

// A client that stops reading its attach stream holds up neither the
// container's output nor the other clients: it is dropped once maxQueued
// bytes wait for it.
func TestSlowAttachClientDropped(t *testing.T) {
	stuckSrv, stuckCli := net.Pipe() // never read
	defer stuckCli.Close()
	goodSrv, goodCli := net.Pipe()
	defer goodCli.Close()
	mk := func(conn net.Conn) *attachSession {
		a := &attachSession{conn: conn, q: newQueue(conn), ended: make(chan struct{})}
		a.stdout, a.stderr = outputs(a.q, true, true, false)
		return a
	}
	stuck, good := mk(stuckSrv), mk(goodSrv)
	rn := newRun()
	rn.sessions = []*attachSession{stuck, good}
	out := fanout{rn: rn}
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	write := func(n int) {
		for range n / len(chunk) {
			out.Write(chunk) // returns although a client reads nothing
		}
	}
	sessions := func() int {
		rn.mu.Lock()
		defer rn.mu.Unlock()
		return len(rn.sessions)
	}
	// Less than the bound waits for both.
	half := maxQueued / 2
	write(half)
	if n := sessions(); n != 2 {
		t.Fatalf("%d sessions after %d bytes, want 2", n, half)
	}
	// The reading client takes that; more output then drops only the other.
	if _, err := io.ReadFull(goodCli, make([]byte, half)); err != nil {
		t.Fatal(err)
	}
	write(half + len(chunk))
	<-stuck.ended
	if n := sessions(); n != 1 {
		t.Errorf("%d sessions left, want the reading one", n)
	}
	received := make(chan int)
	go func() {
		n, _ := io.Copy(io.Discard, goodCli)
		received <- int(n)
	}()
	good.end()
	if n, want := <-received, half+len(chunk); n != want {
		t.Errorf("the reading client got %d more bytes, want %d", n, want)
	}
}

func TestStatsResponse(t *testing.T) {
	c := &container.Container{ID: "abc", Name: "web"}
	pre := statsSample{ok: true, system: 1000}
	pre.st.CPUUsage = 10
	cur := statsSample{ok: true, system: 3000}
	cur.st.CPUUsage = 510
	cur.st.MemoryUsage, cur.st.MemoryInactiveFile, cur.st.MemoryLimit = 100, 30, 1000
	cur.st.Pids, cur.st.BlockRead, cur.st.BlockWrite, cur.st.NetRx = 3, 7, 9, 11
	got := statsResponse(c, cur, pre)
	if got.CPUStats.CPUUsage.TotalUsage != 510 || got.PreCPUStats.CPUUsage.TotalUsage != 10 ||
		got.CPUStats.SystemUsage != 3000 || got.PreCPUStats.SystemUsage != 1000 {
		t.Errorf("cpu: %+v, pre %+v", got.CPUStats, got.PreCPUStats)
	}
	if m := got.MemoryStats; m.Usage != 100 || m.Limit != 1000 || m.Stats["inactive_file"] != 30 {
		t.Errorf("memory: %+v", m)
	}
	if got.PidsStats.Current != 3 || got.Networks["eth0"].RxBytes != 11 {
		t.Errorf("pids %+v, networks %+v", got.PidsStats, got.Networks)
	}
	if b := got.BlkioStats.IoServiceBytesRecursive; len(b) != 2 || b[0].Value != 7 || b[1].Value != 9 {
		t.Errorf("blkio: %+v", b)
	}
	// No limit: the host's memory, as Docker shows it.
	cur.st.MemoryLimit = 0
	if got := statsResponse(c, cur, pre); got.MemoryStats.Limit != uint64(memTotal()) {
		t.Errorf("limit without a cgroup limit: %d", got.MemoryStats.Limit)
	}
	// A stopped container: zeros.
	if got := statsResponse(c, statsSample{}, statsSample{}); got.MemoryStats.Usage != 0 || got.CPUStats.CPUUsage.TotalUsage != 0 || !got.Read.IsZero() {
		t.Errorf("stopped: %+v", got)
	}
}
