package testutil

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TLSFiles are the PEM files of a test CA, a server certificate it signed,
// a client certificate it signed, and a client certificate it did not sign.
type TLSFiles struct {
	CA                        string
	ServerCert, ServerKey     string
	ClientCert, ClientKey     string
	StrangerCert, StrangerKey string // self-signed: a client the CA does not know
}

// WriteTLSCerts makes a CA and its certificates in dir (ECDSA P-256, valid
// for an hour): the server's is for hosts (IP addresses or DNS names).
func WriteTLSCerts(t testing.TB, dir string, hosts ...string) TLSFiles {
	t.Helper()
	f := TLSFiles{
		CA:         filepath.Join(dir, "ca.pem"),
		ServerCert: filepath.Join(dir, "server-cert.pem"), ServerKey: filepath.Join(dir, "server-key.pem"),
		ClientCert: filepath.Join(dir, "cert.pem"), ClientKey: filepath.Join(dir, "key.pem"),
		StrangerCert: filepath.Join(dir, "stranger-cert.pem"), StrangerKey: filepath.Join(dir, "stranger-key.pem"),
	}
	caKey := newKey(t)
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "geedocker test CA"},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, f.CA, "CERTIFICATE", caDER)
	caCert, _ := x509.ParseCertificate(caDER)

	server := leaf(2, "server", x509.ExtKeyUsageServerAuth)
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			server.IPAddresses = append(server.IPAddresses, ip)
		} else {
			server.DNSNames = append(server.DNSNames, h)
		}
	}
	signLeaf(t, server, caCert, caKey, f.ServerCert, f.ServerKey)
	signLeaf(t, leaf(3, "client", x509.ExtKeyUsageClientAuth), caCert, caKey, f.ClientCert, f.ClientKey)
	stranger := leaf(4, "stranger", x509.ExtKeyUsageClientAuth)
	signLeaf(t, stranger, stranger, nil, f.StrangerCert, f.StrangerKey)
	return f
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func leaf(serial int64, cn string, usage x509.ExtKeyUsage) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
	}
}

// signLeaf makes a key for tmpl, has it signed by parent's key (its own
// when parentKey is nil) and writes both.
func signLeaf(t testing.TB, tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, certPath, keyPath string) {
	t.Helper()
	k := newKey(t)
	if parentKey == nil {
		parentKey = k
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &k.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, certPath, "CERTIFICATE", der)
	kb, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, keyPath, "EC PRIVATE KEY", kb)
}

func writePEM(t testing.TB, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
