package api

import (
	"net/http"
	"os"
	goruntime "runtime"
	"strings"

	"github.com/moby/moby/api/types/system"
	"golang.org/x/sys/unix"

	"github.com/geedocker/geedocker/internal/cgroups"
)

func (s *Server) systemRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /_ping", s.ping)
	mux.HandleFunc("HEAD /_ping", s.ping)
	mux.HandleFunc("GET /version", s.version)
	mux.HandleFunc("GET /info", s.info)
	mux.HandleFunc("GET /events", s.getEvents)
	mux.HandleFunc("GET /system/df", s.diskUsage)
	mux.HandleFunc("POST /build/prune", s.pruneBuildCache)
}

func (s *Server) ping(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-cache, no-store, must-revalidate")
	w.Header().Set("Pragma", "no-cache")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write([]byte("OK"))
	}
}

func kernelVersion() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return strings.TrimRight(string(u.Release[:]), "\x00")
}

func (s *Server) version(w http.ResponseWriter, r *http.Request) {
	v := system.VersionResponse{
		Platform:      system.PlatformInfo{Name: "GeeDocker"},
		Version:       s.Version,
		APIVersion:    APIVersion,
		MinAPIVersion: MinAPIVersion,
		Os:            goruntime.GOOS,
		Arch:          goruntime.GOARCH,
		GoVersion:     goruntime.Version(),
		KernelVersion: kernelVersion(),
		Components: []system.ComponentVersion{{Name: "Engine", Version: s.Version,
			Details: map[string]string{"ApiVersion": APIVersion, "MinAPIVersion": MinAPIVersion, "Os": goruntime.GOOS, "Arch": goruntime.GOARCH}}},
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) info(w http.ResponseWriter, r *http.Request) {
	e := s.Engine
	ids, err := e.Store.ImageIDs()
	if err != nil {
		writeError(w, err)
		return
	}
	cts, err := e.ListContainers()
	if err != nil {
		writeError(w, err)
		return
	}
	info := system.Info{
		ID: "geedocker", Images: len(ids), Containers: len(cts),
		Driver: "overlay", LoggingDriver: "json-file", CgroupDriver: "cgroupfs",
		KernelVersion: kernelVersion(), OperatingSystem: osName(), OSType: goruntime.GOOS,
		Architecture: goruntime.GOARCH, NCPU: goruntime.NumCPU(), DockerRootDir: e.Store.Root(),
		ServerVersion: s.Version, DefaultRuntime: "geedocker",
		MemoryLimit: true, SwapLimit: true, CPUCfsPeriod: true, CPUCfsQuota: true, CPUShares: true,
		CPUSet: true, PidsLimit: true, IndexServerAddress: "https://index.docker.io/v1/",
		SecurityOptions: []string{"name=seccomp,profile=" + seccompProfile(e.Config.SeccompProfile)},
	}
	if e.Config.UsernsRemap != "" {
		info.SecurityOptions = append(info.SecurityOptions, "name=userns")
	}
	info.Name, _ = os.Hostname()
	if mode, err := cgroups.Detect(); err == nil {
		info.CgroupVersion = strings.TrimPrefix(mode.String(), "v")
	}
	for _, c := range cts {
		switch {
		case c.State.Running:
			info.ContainersRunning++
		default:
			info.ContainersStopped++
		}
	}
	info.MemTotal = memTotal()
	writeJSON(w, http.StatusOK, info)
}

func seccompProfile(p string) string {
	if p == "" {
		return "builtin"
	}
	return p
}

// osName is PRETTY_NAME of /etc/os-release.
func osName() string {
	b, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return goruntime.GOOS
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return goruntime.GOOS
}
