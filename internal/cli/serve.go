package cli

import (
	"errors"
	"net"
	"net/http"
	"os"

	"github.com/spf13/cobra"

	"github.com/geedocker/geedocker/internal/api"
)

func newServeCmd(g *globals) *cobra.Command {
	var hosts []string
	var group string
	c := &cobra.Command{
		Use:   "serve [-H unix:///run/geedocker.sock]... [--group GROUP]",
		Short: "Serve the Docker Engine API (an optional process: containers do not depend on it)",
		Args:  exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			if len(hosts) == 0 {
				hosts = []string{api.DefaultHost}
			}
			var addrs []api.Address
			for _, h := range hosts {
				a, err := api.ParseHost(h)
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
				listeners = append(listeners, l)
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
	return c
}
