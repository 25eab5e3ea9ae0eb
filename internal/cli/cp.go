package cli

import (
	"errors"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/geedocker/geedocker/internal/engine"
)

func newCpCmd(g *globals) *cobra.Command {
	var archive, follow bool
	c := &cobra.Command{
		Use:   "cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n  geedocker cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
		Short: "Copy files/folders between a container and the local filesystem",
		Args:  exactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			req, err := copyRequest(args[0], args[1])
			if err != nil {
				return flagError{err}
			}
			req.Archive, req.FollowLink = archive, follow
			e, err := g.engine()
			if err != nil {
				return err
			}
			return e.Copy(c.Context(), req, g.args(), g.stdin, g.stdout)
		},
	}
	c.Flags().BoolVarP(&archive, "archive", "a", false, "Archive mode (copy all uid/gid information)")
	c.Flags().BoolVarP(&follow, "follow-link", "L", false, "Always follow symbol link in SRC_PATH")
	return c
}

// splitCopyArg tells CONTAINER:PATH from a local path, as Docker does: a
// local path may contain a colon only after a slash, or start with "/" or ".".
func splitCopyArg(arg string) (ctr, p string) {
	if strings.HasPrefix(arg, "/") || strings.HasPrefix(arg, ".") {
		return "", arg
	}
	i := strings.Index(arg, ":")
	if i < 0 || strings.Contains(arg[:i], "/") {
		return "", arg
	}
	return arg[:i], arg[i+1:]
}

func copyRequest(src, dst string) (engine.CopyRequest, error) {
	sc, sp := splitCopyArg(src)
	dc, dp := splitCopyArg(dst)
	var req engine.CopyRequest
	switch {
	case sc != "" && dc != "":
		return req, errors.New("copying between containers is not supported")
	case sc == "" && dc == "":
		return req, errors.New("must specify at least one container source")
	case sc != "":
		req = engine.CopyRequest{Container: sc, Src: inContainer(sp), Dst: local(dp)}
	default:
		req = engine.CopyRequest{Container: dc, ToContainer: true, Src: local(sp), Dst: inContainer(dp)}
	}
	if req.Src == "" || req.Dst == "" {
		return req, errors.New("empty path: name a file or directory")
	}
	return req, nil
}

// inContainer makes a container path absolute (relative to its root).
func inContainer(p string) string {
	if p == "" || strings.HasPrefix(p, "/") {
		return p
	}
	return "/" + p
}

// local makes a host path absolute, keeping a trailing "/" or "/.".
func local(p string) string {
	if p == "" || p == "-" || strings.HasPrefix(p, "/") {
		return p
	}
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	return strings.TrimSuffix(wd, "/") + "/" + p
}

func newCopyHelperCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:    engine.CopyHelperCommand + " REQUEST",
		Hidden: true,
		Args:   exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			return e.CopyHelper(c.Context(), args[0], g.stdin, g.stdout)
		},
	}
}
