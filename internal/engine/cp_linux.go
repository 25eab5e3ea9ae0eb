package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/geedocker/geedocker/internal/copyfs"
	"github.com/geedocker/geedocker/internal/idmap"
	"github.com/geedocker/geedocker/internal/runtime"
)

// copyStopped re-executes geedocker as the copy helper in a new mount
// namespace: the overlay it mounts there vanishes with it.
func (e *Engine) copyStopped(ctx context.Context, req CopyRequest, globalArgs []string, stdin io.Reader, stdout io.Writer) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding the geedocker binary: %w", err)
	}
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, exe, append(append([]string{}, globalArgs...), CopyHelperCommand, string(b))...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS}
	cmd.Stdin, cmd.Stdout = stdin, stdout
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return errors.New(strings.TrimPrefix(msg, "Error: "))
		}
		return fmt.Errorf("copying: %w", err)
	}
	return nil
}

// CopyHelper is the copy helper: in the private mount namespace it was
// started in, it mounts the stopped container's overlay and copies.
func (e *Engine) CopyHelper(ctx context.Context, reqJSON string, stdin io.Reader, stdout io.Writer) error {
	var req CopyRequest
	if err := json.Unmarshal([]byte(reqJSON), &req); err != nil {
		return fmt.Errorf("copy helper: %w", err)
	}
	// Never mount in the host's namespace: refuse unless this process has a
	// mount namespace of its own.
	self, err1 := os.Readlink("/proc/self/ns/mnt")
	parent, err2 := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", os.Getppid()))
	if err1 != nil || err2 != nil || self == parent {
		return errors.New("the copy helper must run in a mount namespace of its own")
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making mounts private: %w", err)
	}
	fs, err := e.containerFS(req.Container)
	if err != nil {
		return err
	}
	cs, err := e.Containers()
	if err != nil {
		return err
	}
	dir := cs.Dir(fs.c.ID)
	target := filepath.Join(dir, "rootfs")
	if err := os.MkdirAll(target, 0o755); err != nil {
		return err
	}
	remap, err := containerRemap(fs.c)
	if err != nil {
		return err
	}
	if err := mountStopped(fs, remap, target, filepath.Join(dir, "work")); err != nil {
		if errors.Is(err, unix.EBUSY) {
			return fmt.Errorf("container %s is starting: try again", fs.c.ID[:12])
		}
		return fmt.Errorf("mounting the container's file system: %w", err)
	}
	root, err := copyfs.OpenRoot(target)
	if err != nil {
		return err
	}
	defer root.Close()
	return copyWith(ctx, root, remap, req, stdin, stdout)
}

// mountStopped mounts the overlay of a stopped container on target. A remapped container's
// image layers are idmapped as they are when it runs, so that all its files show their host
// ids, as through a running container's root.
func mountStopped(fs *containerFS, remap *idmap.Remap, target, work string) error {
	if remap == nil {
		opts := "lowerdir=" + strings.Join(fs.lower, ":") + ",upperdir=" + fs.upper + ",workdir=" + work
		return unix.Mount("overlay", target, "overlay", 0, opts)
	}
	uid := []specs.LinuxIDMapping{{ContainerID: 0, HostID: remap.UID.Start, Size: remap.UID.Size}}
	gid := []specs.LinuxIDMapping{{ContainerID: 0, HostID: remap.GID.Start, Size: remap.GID.Size}}
	mnt, err := runtime.IdmappedOverlay(uid, gid, fs.lower, fs.upper, work)
	if err != nil {
		return err
	}
	defer unix.Close(mnt)
	return unix.MoveMount(mnt, "", unix.AT_FDCWD, target, unix.MOVE_MOUNT_F_EMPTY_PATH)
}
