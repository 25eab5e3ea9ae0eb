//go:build linux

package testcontainers

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	tc "github.com/testcontainers/testcontainers-go"
	tcexec "github.com/testcontainers/testcontainers-go/exec"
	"github.com/testcontainers/testcontainers-go/wait"
)

// TestBusybox: a container started by testcontainers-go, waited for by a log
// line and by its published port, exec'd in, its logs read, terminated.
func TestBusybox(t *testing.T) {
	e := newEngine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	ctr, err := tc.Run(ctx, "busybox:latest",
		tc.WithEnv(map[string]string{"GREETING": "hello"}),
		tc.WithExposedPorts("8080/tcp"),
		tc.WithLabels(map[string]string{"suite": "geedocker"}),
		tc.WithCmd("sh", "-c", `mkdir /www; echo "$GREETING from busybox" > /www/index.html; echo "web ready"; exec httpd -f -p 8080 -h /www`),
		tc.WithWaitStrategy(
			wait.ForLog("web ready").WithStartupTimeout(time.Minute),
			wait.ForListeningPort("8080/tcp").WithStartupTimeout(time.Minute),
		),
	)
	// Terminated even when Run failed after the container was made.
	t.Cleanup(func() {
		if err := tc.TerminateContainer(ctr, tc.StopTimeout(time.Second)); err != nil {
			t.Errorf("terminate: %v", err)
		}
	})
	if err != nil {
		t.Fatalf("testcontainers.Run: %v", err)
	}

	// The published port, from this namespace's loopback.
	url, err := ctr.PortEndpoint(ctx, "8080/tcp", "http")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(url + "/index.html")
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "hello from busybox\n" {
		t.Errorf("GET %s: %d %q", url, resp.StatusCode, body)
	}

	code, out, err := ctr.Exec(ctx, []string{"sh", "-c", "echo $GREETING; echo to-stderr >&2; exit 3"}, tcexec.Multiplexed())
	if err != nil {
		t.Fatalf("exec: %v", err)
	}
	got, _ := io.ReadAll(out)
	if code != 3 || !strings.Contains(string(got), "hello\n") || !strings.Contains(string(got), "to-stderr\n") {
		t.Errorf("exec: exit %d, output %q; want 3 and both lines", code, got)
	}

	logs, err := ctr.Logs(ctx)
	if err != nil {
		t.Fatalf("logs: %v", err)
	}
	lb, _ := io.ReadAll(logs)
	logs.Close()
	if !strings.Contains(string(lb), "web ready\n") {
		t.Errorf("logs: %q", lb)
	}

	st, err := ctr.State(ctx)
	if err != nil || !st.Running {
		t.Errorf("state: %+v %v", st, err)
	}
	if out := e.gd("ps", "--filter", "label=suite=geedocker", "--format", "{{.Image}} {{.State}}"); out != "busybox:latest running\n" {
		t.Errorf("geedocker ps sees %q", out)
	}

	// httpd ignores SIGTERM: the stop's SIGKILL follows after a second.
	if err := ctr.Terminate(ctx, tc.StopTimeout(time.Second)); err != nil {
		t.Fatalf("terminate: %v", err)
	}
	if out := e.gd("ps", "-aq"); out != "" {
		t.Errorf("containers left after Terminate: %q", out)
	}
}
