package cli

import (
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/geedocker/geedocker/internal/api"
)

func newServeCmd(g *globals) *cobra.Command {
	var hosts []string
	var group string
	var tlsOpts api.TLSOptions
	c := &cobra.Command{
		Use:   "serve [-H unix:///run/geedocker.sock]... [--group GROUP] [--tlsverify --tlscacert CA --tlscert CERT --tlskey KEY]",
		Short: "Serve the Docker Engine API (an optional process: containers do not depend on it)",
		Args:  exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			if len(hosts) == 0 {
				hosts = []string{api.DefaultHost}
			}
			tlsDefaults(c, &tlsOpts)
			var tlsConfig *tls.Config
			if tlsOpts.Enabled() {
				cfg, err := tlsOpts.Config()
				if err != nil {
					return flagError{err}
				}
				tlsConfig = cfg
			}
			var addrs []api.Address
			for _, h := range hosts {
				a, err := api.ParseHostTLS(h, tlsOpts.Verify)
				if err != nil {
					return flagError{err}
				}
				addrs = append(addrs, a)
			}
			e, err := g.engine()
			if err != nil {
				return err
			}
			e.ReapMonitors = true
			srv := &http.Server{Handler: api.New(e, g.args(), Version).Handler()}
			var listeners []net.Listener
			defer func() {
				for i, l := range listeners {
					l.Close()
					if addrs[i].Network == "unix" {
						os.Remove(addrs[i].Addr)
					}
				}
			}()
			for _, a := range addrs {
				l, err := api.Listen(a, group)
				if err != nil {
					return err
				}
				listeners = append(listeners, api.WrapTLS(l, a, tlsConfig))
			}
			errs := make(chan error, len(listeners))
			for _, l := range listeners {
				go func(l net.Listener) { errs <- srv.Serve(l) }(l)
			}
			select {
			case err := <-errs:
				srv.Close()
				if errors.Is(err, http.ErrServerClosed) {
					return nil
				}
				return err
			case <-c.Context().Done():
				// Containers keep running: they belong to their monitors.
				srv.Close()
				return nil
			}
		},
	}
	c.Flags().StringArrayVarP(&hosts, "host", "H", nil, "Daemon socket to listen on: unix:///PATH (default "+api.DefaultHost+") or tcp://127.0.0.1:PORT")
	c.Flags().StringVarP(&group, "group", "G", "", "Group of the unix socket (default: root's)")
	c.Flags().BoolVar(&tlsOpts.TLS, "tls", false, "Serve TCP with TLS; implied by --tlsverify")
	c.Flags().BoolVar(&tlsOpts.Verify, "tlsverify", false, "Serve TCP with TLS and require client certificates signed by --tlscacert (needed for a TCP address that is not loopback)")
	c.Flags().StringVar(&tlsOpts.CACert, "tlscacert", "", "Trust certificates signed by this CA (default $DOCKER_CERT_PATH/ca.pem or ~/.docker/ca.pem)")
	c.Flags().StringVar(&tlsOpts.Cert, "tlscert", "", "Path to the server's TLS certificate (default $DOCKER_CERT_PATH/cert.pem or ~/.docker/cert.pem)")
	c.Flags().StringVar(&tlsOpts.Key, "tlskey", "", "Path to the server's TLS key (default $DOCKER_CERT_PATH/key.pem or ~/.docker/key.pem)")
	return c
}

// tlsDefaults fills the TLS files not given, when TLS is on, as dockerd
// does: ca.pem (with --tlsverify), cert.pem and key.pem in
// $DOCKER_CERT_PATH, else ~/.docker.
func tlsDefaults(c *cobra.Command, o *api.TLSOptions) {
	if !o.Enabled() {
		return
	}
	dir := os.Getenv("DOCKER_CERT_PATH")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".docker")
	}
	for _, f := range []struct {
		flag string
		v    *string
		file string
	}{{"tlscacert", &o.CACert, "ca.pem"}, {"tlscert", &o.Cert, "cert.pem"}, {"tlskey", &o.Key, "key.pem"}} {
		// Without --tlsverify, no CA unless one is named: clients are not checked.
		if !c.Flags().Changed(f.flag) && (o.Verify || f.flag != "tlscacert") {
			*f.v = filepath.Join(dir, f.file)
		}
	}
}
