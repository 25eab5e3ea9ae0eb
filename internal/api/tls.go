package api

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
)

// TLSOptions are serve's TLS flags, as dockerd's: --tls serves TCP with
// TLS; --tlsverify also requires a client certificate signed by CACert.
type TLSOptions struct {
	TLS, Verify       bool
	CACert, Cert, Key string // PEM files
}

// Enabled says whether TCP is served with TLS.
func (o TLSOptions) Enabled() bool { return o.TLS || o.Verify }

// Config builds the server's TLS configuration: TLS 1.2 at least, the
// server's certificate, and with Verify, client certificates required and
// checked against the CA (without Verify, a CA given checks the
// certificates that clients offer, as dockerd does).
func (o TLSOptions) Config() (*tls.Config, error) {
	if o.Cert == "" || o.Key == "" {
		return nil, errors.New("TLS needs --tlscert and --tlskey")
	}
	if o.Verify && o.CACert == "" {
		return nil, errors.New("--tlsverify needs --tlscacert: the CA that signs the clients' certificates")
	}
	cert, err := tls.LoadX509KeyPair(o.Cert, o.Key)
	if err != nil {
		return nil, fmt.Errorf("loading the TLS certificate %s and key %s: %w", o.Cert, o.Key, err)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	if o.CACert != "" {
		pem, err := os.ReadFile(o.CACert)
		if err != nil {
			return nil, fmt.Errorf("reading the TLS CA certificate: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s holds no PEM certificate", o.CACert)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
		if o.Verify {
			cfg.ClientAuth = tls.RequireAndVerifyClientCert
		}
	}
	return cfg, nil
}

// WrapTLS serves the TCP listeners of l with cfg; unix sockets stay as they
// are (their file permissions guard them), as with dockerd.
func WrapTLS(l net.Listener, a Address, cfg *tls.Config) net.Listener {
	if cfg == nil || a.Network != "tcp" {
		return l
	}
	return tls.NewListener(l, cfg)
}
