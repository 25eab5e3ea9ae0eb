package cli

import (
	"fmt"
	goruntime "runtime"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/geedocker/geedocker/internal/cgroups"
	"github.com/geedocker/geedocker/internal/seccomp"
)

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Show the GeeDocker version information",
		Args:  exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			fmt.Fprintf(g.stdout, "Client: GeeDocker\n Version:    %s\n Go version: %s\n OS/Arch:    %s/%s\n",
				Version, goruntime.Version(), goruntime.GOOS, goruntime.GOARCH)
			return nil
		},
	}
}

func kernelVersion() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "unknown"
	}
	return strings.TrimRight(string(u.Release[:]), "\x00")
}

// seccompProfileName is what info shows for the config file's seccomp-profile.
func seccompProfileName(p string) string {
	if p == "" {
		return seccomp.Builtin
	}
	return p
}

func newInfoCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "info",
		Short: "Display system-wide information",
		Args:  exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			ids, err := e.Store.ImageIDs()
			if err != nil {
				return err
			}
			mode, err := cgroups.Detect()
			cgVersion := mode.String()
			if err != nil {
				cgVersion = "unknown (" + err.Error() + ")"
			}
			w := g.stdout
			fmt.Fprintf(w, "Client: GeeDocker\n Version: %s\n\nServer: (none — GeeDocker is daemonless)\n", Version)
			fmt.Fprintf(w, " Images: %d\n", len(ids))
			fmt.Fprintf(w, " Storage Driver: overlay\n")
			fmt.Fprintf(w, " Cgroup Driver: cgroupfs\n Cgroup Version: %s\n", cgVersion)
			// Docker's layout: one option a line, its profile under it.
			fmt.Fprintf(w, " Security Options:\n  seccomp\n   Profile: %s\n", seccompProfileName(e.Config.SeccompProfile))
			if e.Config.UsernsRemap != "" {
				// Docker names the option; GeeDocker also says how the layers are shared.
				fmt.Fprintf(w, "  userns\n   Layers: idmapped mounts (shared, not copied)\n")
			}
			fmt.Fprintf(w, " Kernel Version: %s\n Operating System: %s\n Architecture: %s\n", kernelVersion(), goruntime.GOOS, goruntime.GOARCH)
			fmt.Fprintf(w, " GeeDocker Root Dir: %s\n", e.Store.Root())
			if len(e.Config.InsecureRegistries) > 0 {
				fmt.Fprintf(w, " Insecure Registries:\n")
				for _, r := range e.Config.InsecureRegistries {
					fmt.Fprintf(w, "  %s\n", r)
				}
			}
			if len(e.Config.RegistryMirrors) > 0 {
				fmt.Fprintf(w, " Registry Mirrors:\n")
				for _, r := range e.Config.RegistryMirrors {
					fmt.Fprintf(w, "  %s\n", r)
				}
			}
			return nil
		},
	}
}
