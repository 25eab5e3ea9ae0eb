//go:build linux

package e2e

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/geedocker/geedocker/internal/testutil"
)

// TestAPITLS: `serve --tlsverify` on TCP on every address of the test's
// namespace; the docker CLI with a certificate of the CA is served, one
// without is not; TCP off loopback without --tlsverify is refused.
func TestAPITLS(t *testing.T) {
	needDocker(t)
	e := newEnv(t)
	f := testutil.WriteTLSCerts(t, t.TempDir(), "127.0.0.1")
	const port = "2376"

	// Refused before anything listens: off loopback without client
	// verification, and --tlsverify without its CA.
	r := e.gd("serve", "-H", "tcp://0.0.0.0:"+port, "--tls", "--tlscert", f.ServerCert, "--tlskey", f.ServerKey)
	if r.Code != 125 || strings.Count(strings.TrimSpace(r.Stderr), "\n") != 0 || !strings.Contains(r.Stderr, "unless with --tlsverify") {
		t.Errorf("serve --tls on 0.0.0.0: exit %d, stderr %q", r.Code, r.Stderr)
	}
	r = e.gd("serve", "-H", "tcp://0.0.0.0:"+port, "--tlsverify", "--tlscacert", "/nonexistent/ca.pem", "--tlscert", f.ServerCert, "--tlskey", f.ServerKey)
	if r.Code != 125 || strings.Count(strings.TrimSpace(r.Stderr), "\n") != 0 || !strings.Contains(r.Stderr, "reading the TLS CA certificate") {
		t.Errorf("serve --tlsverify with a missing CA: exit %d, stderr %q", r.Code, r.Stderr)
	}

	srv := exec.Command("nsenter", "--net="+e.netns, e.bin, "--root", e.root, "--config-file", e.cfg, "serve",
		"-H", "tcp://0.0.0.0:"+port, "--tlsverify", "--tlscacert", f.CA, "--tlscert", f.ServerCert, "--tlskey", f.ServerKey)
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { srv.Wait(); close(exited) }()
	t.Cleanup(func() { srv.Process.Signal(syscall.SIGKILL); <-exited })
	ctx, cancel := context.WithTimeout(context.Background(), testutil.RunTimeout)
	defer cancel()
	for {
		err := inNetns(t, e.netns, func() error {
			c, err := net.Dial("tcp", "127.0.0.1:"+port)
			if err == nil {
				c.Close()
			}
			return err
		})
		if err == nil {
			break
		}
		select {
		case <-exited:
			t.Fatalf("geedocker serve exited: %v", srv.ProcessState)
		case <-ctx.Done():
			t.Fatal("geedocker serve did not listen")
		case <-time.After(10 * time.Millisecond):
		}
	}

	docker := func(tlsArgs ...string) testutil.Result {
		t.Helper()
		args := append([]string{"--net=" + e.netns, "env", "DOCKER_CONFIG=" + t.TempDir(), "docker", "-H", "tcp://127.0.0.1:" + port}, tlsArgs...)
		return testutil.Run(t, "nsenter", append(args, "version", "--format", "{{.Server.APIVersion}}")...)
	}
	if r := docker("--tlsverify", "--tlscacert", f.CA, "--tlscert", f.ClientCert, "--tlskey", f.ClientKey); r.Code != 0 || r.Stdout != "1.57\n" {
		t.Errorf("docker --tlsverify with the CA's client certificate: exit %d, %q %q", r.Code, r.Stdout, r.Stderr)
	}
	if r := docker("--tlsverify", "--tlscacert", f.CA); r.Code == 0 || !strings.Contains(r.Stderr, "certificate required") {
		t.Errorf("docker without a client certificate: exit %d, %q %q", r.Code, r.Stdout, r.Stderr)
	}
	if r := docker("--tlsverify", "--tlscacert", f.CA, "--tlscert", f.StrangerCert, "--tlskey", f.StrangerKey); r.Code == 0 || !strings.Contains(r.Stderr, "remote error: tls:") {
		t.Errorf("docker with a certificate of another CA: exit %d, %q %q", r.Code, r.Stdout, r.Stderr)
	}
	if r := docker(); r.Code == 0 {
		t.Errorf("docker without TLS was served: %q", r.Stdout)
	}
}
