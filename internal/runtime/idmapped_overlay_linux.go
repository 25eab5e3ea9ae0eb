package runtime

import (
	"fmt"
	"os/exec"
	"strings"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// usernsArg0 is the name of a re-executed child that exits at once: while it is not reaped,
// its user namespace, made with the mappings of a container, can be opened.
const usernsArg0 = "geedocker-userns"

// IdmappedOverlay returns, as a detached mount, the overlay of lower (top first), upper and
// work that a container with the user namespace mappings uid and gid gets as its root (see
// userns_linux.go): its image layers are idmapped, so that the overlay shows the container's
// files with their host ids whether they come from the layers or from upper. The caller
// attaches it (move_mount) and closes it.
func IdmappedOverlay(uid, gid []specs.LinuxIDMapping, lower []string, upper, work string) (int, error) {
	cmd := &exec.Cmd{
		Path: "/proc/self/exe",
		Args: []string{usernsArg0},
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags:  syscall.CLONE_NEWUSER,
			UidMappings: idMappings(uid),
			GidMappings: idMappings(gid),
		},
	}
	if err := cmd.Start(); err != nil {
		return -1, fmt.Errorf("making a user namespace for the container's layers: %w", err)
	}
	// Until it is reaped, the child's /proc entry (and its user namespace) stays.
	defer cmd.Wait()
	opts := []string{"lowerdir=" + strings.Join(lower, ":")}
	if upper != "" {
		opts = append(opts, "upperdir="+upper, "workdir="+work)
	}
	return idmappedRootfs(cmd.Process.Pid, []specs.Mount{{Type: "overlay", Options: opts}})
}
