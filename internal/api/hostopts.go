package api

import (
	"net/http"
	"strconv"

	ctypes "github.com/moby/moby/api/types/container"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/engine"
	"github.com/geedocker/geedocker/internal/spec"
)

// hostOptions takes into so the HostConfig fields of ulimits, /dev/shm, sysctls, the
// namespaces and the finer cgroup settings.
func hostOptions(so *spec.Options, hc *ctypes.HostConfig) {
	for _, u := range hc.Ulimits {
		if u != nil {
			so.Ulimits = append(so.Ulimits, spec.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
		}
	}
	so.ShmSize = hc.ShmSize
	if len(hc.Sysctls) > 0 {
		so.Sysctls = hc.Sysctls
	}
	so.PidMode, so.IpcMode = string(hc.PidMode), string(hc.IpcMode)
	so.UTSMode, so.CgroupnsMode = string(hc.UTSMode), string(hc.CgroupnsMode)
	so.OomScoreAdj = hc.OomScoreAdj
	so.Resources.MemoryReservation = hc.MemoryReservation
	so.Resources.CPUQuota, so.Resources.CPUPeriod = hc.CPUQuota, hc.CPUPeriod
	so.Resources.BlkioWeight = hc.BlkioWeight
	so.Resources.OomKillDisable = hc.OomKillDisable != nil && *hc.OomKillDisable
}

// inspectHostOptions shows them in inspect, with Docker's names.
func inspectHostOptions(out *ctypes.HostConfig, hc container.HostConfig) {
	out.PidMode, out.IpcMode = ctypes.PidMode(hc.PidMode), ctypes.IpcMode(hc.IpcMode)
	out.UTSMode, out.CgroupnsMode = ctypes.UTSMode(hc.UTSMode), ctypes.CgroupnsMode(hc.CgroupnsMode)
	out.ShmSize, out.Sysctls, out.GroupAdd, out.OomScoreAdj = hc.ShmSize, hc.Sysctls, hc.GroupAdd, hc.OomScoreAdj
	out.Ulimits = []*ctypes.Ulimit{}
	for _, u := range hc.Ulimits {
		out.Ulimits = append(out.Ulimits, &ctypes.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
	}
	out.MemoryReservation, out.CPUQuota, out.CPUPeriod = hc.MemoryReservation, hc.CPUQuota, hc.CPUPeriod
	out.BlkioWeight, out.OomKillDisable = hc.BlkioWeight, hc.OomKillDisable
}

// updateContainer is POST /containers/{id}/update: moby's UpdateConfig, answered with
// UpdateResponse and its warnings.
func (s *Server) updateContainer(w http.ResponseWriter, r *http.Request) {
	var req ctypes.UpdateConfig
	if err := readJSON(r, &req); err != nil {
		writeError(w, err)
		return
	}
	o := engine.UpdateOptions{PidsLimit: req.PidsLimit}
	o.Resources = spec.Resources{
		NanoCPUs: req.NanoCPUs, CPUShares: req.CPUShares, CPUPeriod: req.CPUPeriod, CPUQuota: req.CPUQuota,
		CpusetCpus: req.CpusetCpus, Memory: req.Memory, MemorySwap: req.MemorySwap,
		MemoryReservation: req.MemoryReservation, BlkioWeight: req.BlkioWeight,
	}
	if p := req.RestartPolicy; p.Name != "" {
		o.Restart = string(p.Name)
		if p.MaximumRetryCount > 0 {
			o.Restart += ":" + strconv.Itoa(p.MaximumRetryCount)
		}
	}
	warnings, err := s.Engine.Update(r.PathValue("id"), o)
	if warnings == nil {
		warnings = []string{}
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ctypes.UpdateResponse{Warnings: warnings})
}
