package api

import (
	"fmt"
	"net/http"

	"github.com/moby/moby/api/types/build"
	ctypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/system"
	vtypes "github.com/moby/moby/api/types/volume"
)

// diskUsageResponse is GET /system/df: moby's system.DiskUsage of API 1.52 and later, and
// the fields that clients of earlier versions read (the docker CLI 28 among them), which
// moby's api module no longer has a type for.
type diskUsageResponse struct {
	system.DiskUsage
	LayersSize  int64
	Images      []image.Summary
	Containers  []ctypes.Summary
	Volumes     []vtypes.Volume
	BuildCache  []build.CacheRecord
	BuilderSize int64
}

func (s *Server) diskUsage(w http.ResponseWriter, r *http.Request) {
	du, err := s.Engine.DiskUsage()
	if err != nil {
		writeError(w, err)
		return
	}
	t := du.Totals()
	resp := diskUsageResponse{
		LayersSize: du.LayersSize, BuilderSize: t.BuildCacheSize,
		Images: []image.Summary{}, Containers: []ctypes.Summary{}, Volumes: []vtypes.Volume{}, BuildCache: []build.CacheRecord{},
	}
	for _, im := range du.Images {
		is := image.Summary{ID: im.Image.ID, Created: im.Image.Created.Unix(), Size: im.Image.Size,
			SharedSize: im.SharedSize, Containers: int64(im.Containers),
			RepoTags: []string{}, RepoDigests: []string{}, Labels: map[string]string{}}
		for _, t := range im.RepoTags {
			is.RepoTags = append(is.RepoTags, t.Familiar())
		}
		for _, d := range im.RepoDigests {
			is.RepoDigests = append(is.RepoDigests, d.Familiar())
		}
		resp.Images = append(resp.Images, is)
	}
	for _, cu := range du.Containers {
		sum := summary(cu.Container)
		sum.SizeRw = cu.SizeRw
		resp.Containers = append(resp.Containers, sum)
	}
	for _, vu := range du.Volumes {
		v := volumeOf(vu.Volume)
		v.UsageData = &vtypes.UsageData{Size: vu.Size, RefCount: int64(vu.RefCount)}
		resp.Volumes = append(resp.Volumes, v)
	}
	for _, b := range du.BuildCache {
		used := b.Created
		resp.BuildCache = append(resp.BuildCache, build.CacheRecord{ID: b.ID, Type: "regular", Size: b.Size,
			Shared: b.Shared, CreatedAt: b.Created, LastUsedAt: &used})
	}
	resp.DiskUsage = system.DiskUsage{
		ImageUsage: &image.DiskUsage{TotalCount: int64(len(du.Images)), ActiveCount: int64(t.ImagesActive),
			TotalSize: du.LayersSize, Reclaimable: t.Images, Items: resp.Images},
		ContainerUsage: &ctypes.DiskUsage{TotalCount: int64(len(du.Containers)), ActiveCount: int64(t.ContainersActive),
			TotalSize: t.ContainersSize, Reclaimable: t.Containers, Items: resp.Containers},
		VolumeUsage: &vtypes.DiskUsage{TotalCount: int64(len(du.Volumes)), ActiveCount: int64(t.VolumesActive),
			TotalSize: t.VolumesSize, Reclaimable: t.Volumes, Items: resp.Volumes},
		BuildCacheUsage: &build.DiskUsage{TotalCount: int64(len(du.BuildCache)),
			TotalSize: t.BuildCacheSize, Reclaimable: t.BuildCache, Items: resp.BuildCache},
	}
	writeJSON(w, http.StatusOK, resp)
}

// pruneBuildCache is POST /build/prune. The build cache has no record in use and no
// storage limit: `all` changes nothing; size limits are refused; filters are prune's (until, label).
func (s *Server) pruneBuildCache(w http.ResponseWriter, r *http.Request) {
	for _, p := range []string{"keep-storage", "reserved-space", "max-used-space", "min-free-space"} {
		if v := r.URL.Query().Get(p); v != "" && v != "0" {
			writeError(w, badRequest(fmt.Errorf("%s is not supported: the build cache is pruned whole", p)))
			return
		}
	}
	f, _, ok := pruneFilter(w, r, false)
	if !ok {
		return
	}
	ids, space, err := s.Engine.PruneBuildCacheSpace(f)
	if err != nil {
		writeError(w, err)
		return
	}
	if ids == nil {
		ids = []string{}
	}
	writeJSON(w, http.StatusOK, build.CachePruneReport{CachesDeleted: ids, SpaceReclaimed: uint64(space)})
}
