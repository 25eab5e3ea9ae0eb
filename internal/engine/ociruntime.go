package engine

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/geedocker/geedocker/internal/errdefs"
	"github.com/geedocker/geedocker/internal/monitor"
	"github.com/geedocker/geedocker/internal/runtime"
)

// BuiltinRuntime is the name of GeeDocker's own runtime (package runtime), the default
// unless the config file names another (default-runtime).
const BuiltinRuntime = "geedocker"

// RuntimeConfig is one entry of the config file's runtimes map, in dockerd's format:
//
//	{"runtimes": {"crun": {"path": "/usr/bin/crun", "runtimeArgs": []}}}
type RuntimeConfig struct {
	Path        string   `json:"path"`
	RuntimeArgs []string `json:"runtimeArgs,omitempty"`
}

// runtimeName is the runtime a container created with --runtime name uses: the config's
// default-runtime (else the built-in one) when name is empty. Names are those of the
// config's runtimes map, "runc" (the runc on PATH, unless the map says otherwise) and the
// built-in "geedocker".
func (e *Engine) runtimeName(name string) (string, error) {
	if name == "" {
		name = e.Config.DefaultRuntime
	}
	if name == "" {
		return BuiltinRuntime, nil
	}
	if _, err := e.ociRuntime(name); err != nil {
		return "", err
	}
	return name, nil
}

// ociRuntime is the external runtime of that name; nil for the built-in one.
func (e *Engine) ociRuntime(name string) (*monitor.OCIRuntime, error) {
	if r, ok := e.Config.Runtimes[name]; ok && r.Path != "" {
		p, err := exec.LookPath(r.Path)
		if err != nil {
			return nil, fmt.Errorf("runtime %s: %w", name, err)
		}
		return &monitor.OCIRuntime{Name: name, Path: p, Args: r.RuntimeArgs}, nil
	}
	switch name {
	case "", BuiltinRuntime:
		return nil, nil
	case "runc":
		p, err := exec.LookPath("runc")
		if err != nil {
			return nil, fmt.Errorf("runtime runc: %w", err)
		}
		return &monitor.OCIRuntime{Name: name, Path: p}, nil
	}
	return nil, errdefs.InvalidArgument(fmt.Errorf("unknown or invalid runtime name: %s", name))
}

// standardSpec turns what only the built-in runtime understands into standard spec: the
// user's name (resolved against the image's /etc/passwd and /etc/group, read from the
// container's layers: dir's upper, then the lower dirs) and the --init binary (our own,
// /proc/self/exe for the built-in runtime: geedocker-init next to geedocker, whose argv[0]
// docker-init makes it the init).
func standardSpec(s *specs.Spec, dir string) error {
	layers := append([]string{filepath.Join(dir, "upper")}, strings.Split(s.Annotations[annotationLowerDirs], ":")...)
	passwd, group := layerFile(layers, "etc/passwd"), layerFile(layers, "etc/group")
	if err := runtime.ResolveProcessUser(s.Process, passwd, group); err != nil {
		return err
	}
	for i, m := range s.Mounts {
		if m.Source == runtime.SelfExe {
			mon, _, err := monitorPath()
			if err != nil {
				return err
			}
			s.Mounts[i].Source = filepath.Join(filepath.Dir(mon), InitBinary)
		}
	}
	return nil
}

// layerFile is the content of the regular file p in the topmost layer that has it; nil when
// none has (or it is not a regular file, or larger than 4 MiB).
func layerFile(layers []string, p string) []byte {
	for _, l := range layers {
		fi, err := os.Lstat(filepath.Join(l, p))
		if err != nil {
			continue
		}
		if !fi.Mode().IsRegular() || fi.Size() > 4<<20 {
			return nil
		}
		b, err := os.ReadFile(filepath.Join(l, p))
		if err != nil {
			return nil
		}
		return b
	}
	return nil
}

// writeBundle makes the container's directory the bundle of its next start: its config.json
// is s, the final spec (cgroup and namespace paths filled in), with the root at DIR/rootfs,
// where the built-in runtime mounts the overlay in the container's mount namespace, and an
// external runtime's create finds it mounted (see monitor.OCIRuntime).
func writeBundle(dir string, s *specs.Spec) error {
	if err := os.MkdirAll(s.Root.Path, 0o755); err != nil {
		return fmt.Errorf("making the bundle's rootfs: %w", err)
	}
	b, err := json.MarshalIndent(s, "", "\t")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, "config.json.tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("writing the bundle: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "config.json")); err != nil {
		return fmt.Errorf("writing the bundle: %w", err)
	}
	return nil
}
