package api

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/geedocker/geedocker/internal/testutil"
)

func TestParseHostTLS(t *testing.T) {
	cases := []struct {
		in       string
		verified bool
		want     Address
		wantErr  string
	}{
		{"tcp://0.0.0.0:2376", true, Address{"tcp", "0.0.0.0:2376"}, ""},
		{"tcp://0.0.0.0", true, Address{"tcp", "0.0.0.0:2376"}, ""},
		{"tcp://192.0.2.7:2376", true, Address{"tcp", "192.0.2.7:2376"}, ""},
		{"tcp://[::1]", false, Address{"tcp", "[::1]:2375"}, ""},
		{"unix:///run/x.sock", true, Address{"unix", "/run/x.sock"}, ""},
		{"tcp://0.0.0.0:2376", false, Address{}, "only on a loopback address, unless with --tlsverify"},
		{"tcp://", true, Address{}, "invalid -H"},
	}
	for _, c := range cases {
		got, err := ParseHostTLS(c.in, c.verified)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("ParseHostTLS(%q, %v) = %v, %v; want error with %q", c.in, c.verified, got, err, c.wantErr)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseHostTLS(%q, %v) = %v, %v; want %v", c.in, c.verified, got, err, c.want)
		}
	}
}

func TestTLSConfigErrors(t *testing.T) {
	dir := t.TempDir()
	f := testutil.WriteTLSCerts(t, dir, "127.0.0.1")
	notPEM := dir + "/not.pem"
	os.WriteFile(notPEM, []byte("hello"), 0o600)
	cases := []struct {
		o       TLSOptions
		wantErr string
	}{
		{TLSOptions{TLS: true, Cert: f.ServerCert, Key: f.ServerKey}, ""},
		{TLSOptions{Verify: true, CACert: f.CA, Cert: f.ServerCert, Key: f.ServerKey}, ""},
		{TLSOptions{Verify: true, Cert: f.ServerCert, Key: f.ServerKey}, "--tlsverify needs --tlscacert"},
		{TLSOptions{TLS: true, Key: f.ServerKey}, "TLS needs --tlscert and --tlskey"},
		{TLSOptions{TLS: true, Cert: dir + "/missing.pem", Key: f.ServerKey}, "loading the TLS certificate"},
		{TLSOptions{TLS: true, Cert: f.ServerCert, Key: f.ClientKey}, "private key does not match public key"},
		{TLSOptions{Verify: true, CACert: dir + "/missing.pem", Cert: f.ServerCert, Key: f.ServerKey}, "reading the TLS CA certificate"},
		{TLSOptions{Verify: true, CACert: notPEM, Cert: f.ServerCert, Key: f.ServerKey}, "holds no PEM certificate"},
	}
	for _, c := range cases {
		_, err := c.o.Config()
		if c.wantErr == "" && err != nil || c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)) {
			t.Errorf("%+v: %v, want %q", c.o, err, c.wantErr)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%+v: error of several lines: %q", c.o, err)
		}
	}
}

// TestTLSVerify: with --tlsverify only clients with a certificate of the
// CA are served.
func TestTLSVerify(t *testing.T) {
	f := testutil.WriteTLSCerts(t, t.TempDir(), "127.0.0.1")
	cfg, err := TLSOptions{Verify: true, CACert: f.CA, Cert: f.ServerCert, Key: f.ServerKey}.Config()
	if err != nil {
		t.Fatal(err)
	}
	_, h := newTestServer(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := Address{"tcp", l.Addr().String()}
	srv := &http.Server{Handler: h, ErrorLog: log.New(io.Discard, "", 0)} // the refused handshakes are expected
	go srv.Serve(WrapTLS(l, a, cfg))
	t.Cleanup(func() { srv.Close() })

	caPEM, _ := os.ReadFile(f.CA)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	get := func(certFile, keyFile string) (string, error) {
		tc := &tls.Config{RootCAs: roots}
		if certFile != "" {
			c, err := tls.LoadX509KeyPair(certFile, keyFile)
			if err != nil {
				t.Fatal(err)
			}
			tc.Certificates = []tls.Certificate{c}
		}
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: tc}}
		resp, err := client.Get("https://" + a.Addr + "/_ping")
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b), nil
	}
	if body, err := get(f.ClientCert, f.ClientKey); err != nil || body != "OK" {
		t.Errorf("client of the CA: %q %v", body, err)
	}
	if _, err := get("", ""); err == nil {
		t.Error("a client without a certificate was served")
	}
	if _, err := get(f.StrangerCert, f.StrangerKey); err == nil {
		t.Error("a client with a certificate of another CA was served")
	}
	// Plain HTTP on the TLS port gets no API.
	if resp, err := http.Get("http://" + a.Addr + "/_ping"); err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) == "OK" {
			t.Error("plain HTTP was served on the TLS listener")
		}
	}
	// A unix socket is not wrapped.
	if ul := WrapTLS(l, Address{"unix", "/x"}, cfg); ul != l {
		t.Error("WrapTLS wrapped a unix socket")
	}
}
