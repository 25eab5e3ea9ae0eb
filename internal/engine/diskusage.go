package engine

import (
	"sort"
	"time"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/volume"
)

// DiskUsage is what `system df` shows: the space images, containers, volumes and the
// build cache take in the store.
type DiskUsage struct {
	// LayersSize is the size of the layers images use, each counted once.
	LayersSize int64
	Images     []ImageUsage
	Containers []ContainerUsage
	Volumes    []VolumeUsage
	BuildCache []CacheUsage
}

// ImageUsage is one image: its size, the part of it other images share, and how many
// containers use it.
type ImageUsage struct {
	ImageSummary
	SharedSize int64
	Containers int
}

// ContainerUsage is one container and the size of its writable layer.
type ContainerUsage struct {
	Container *container.Container
	SizeRw    int64
}

// VolumeUsage is one volume, its size and how many containers mount it.
type VolumeUsage struct {
	Volume   *volume.Volume
	Size     int64
	RefCount int
}

// CacheUsage is one build cache record: the size of the layers only the build cache
// holds.
type CacheUsage struct {
	ID      string
	Size    int64
	Created time.Time
	Shared  bool // its layers are images' too
}

// DiskUsage measures the store.
func (e *Engine) DiskUsage() (*DiskUsage, error) {
	du := &DiskUsage{}
	images, err := e.Images()
	if err != nil {
		return nil, err
	}
	containers, err := e.ListContainers()
	if err != nil {
		return nil, err
	}
	// Layers: how many images hold each, and its size.
	holders := map[string]int{}
	sizes := map[string]int64{}
	for _, im := range images {
		for _, l := range im.Image.Layers {
			holders[l.ChainID]++
			sizes[l.ChainID] = l.Size
		}
	}
	for _, s := range sizes {
		du.LayersSize += s
	}
	users := map[string]int{}
	for _, c := range containers {
		users[c.Image]++
		rw, _, _ := e.ContainerSize(c)
		du.Containers = append(du.Containers, ContainerUsage{Container: c, SizeRw: rw})
	}
	for _, im := range images {
		u := ImageUsage{ImageSummary: im, Containers: users[im.Image.ID]}
		for _, l := range im.Image.Layers {
			if holders[l.ChainID] > 1 {
				u.SharedSize += l.Size
			}
		}
		du.Images = append(du.Images, u)
	}
	vs, err := e.Volumes()
	if err != nil {
		return nil, err
	}
	vols, err := vs.List()
	if err != nil {
		return nil, err
	}
	vusers, err := e.VolumeUsers()
	if err != nil {
		return nil, err
	}
	for _, v := range vols {
		du.Volumes = append(du.Volumes, VolumeUsage{Volume: v, Size: vs.Size(v.Name), RefCount: len(vusers[v.Name])})
	}
	records, err := e.Store.CacheRecords()
	if err != nil {
		return nil, err
	}
	counted := map[string]bool{}
	for _, r := range records {
		cu := CacheUsage{ID: r.Key, Created: r.Created}
		for _, l := range r.Image.Layers {
			if holders[l.ChainID] > 0 {
				cu.Shared = true
				continue
			}
			if !counted[l.ChainID] { // a layer counts once, for the first record holding it
				counted[l.ChainID] = true
				cu.Size += l.Size
			}
		}
		du.BuildCache = append(du.BuildCache, cu)
	}
	sort.Slice(du.BuildCache, func(i, j int) bool { return du.BuildCache[i].Created.After(du.BuildCache[j].Created) })
	return du, nil
}

// Reclaimable are the totals `system df` shows, in Docker's terms: the space prune could
// free of each kind.
type Reclaimable struct {
	ImagesActive, ContainersActive, VolumesActive int
	Images, Containers, Volumes, BuildCache       int64
	ContainersSize, VolumesSize, BuildCacheSize   int64
}

// Totals sums du as Docker's client does: images used by a container keep their unique
// size, running containers their writable layer, mounted volumes their data.
func (du *DiskUsage) Totals() Reclaimable {
	var r Reclaimable
	var used int64
	for _, im := range du.Images {
		if im.Containers > 0 {
			r.ImagesActive++
			used += im.Image.Size - im.SharedSize
		}
	}
	r.Images = du.LayersSize - used
	for _, c := range du.Containers {
		r.ContainersSize += c.SizeRw
		if c.Container.State.Running {
			r.ContainersActive++
		} else {
			r.Containers += c.SizeRw
		}
	}
	for _, v := range du.Volumes {
		r.VolumesSize += v.Size
		if v.RefCount > 0 {
			r.VolumesActive++
		} else {
			r.Volumes += v.Size
		}
	}
	for _, b := range du.BuildCache {
		r.BuildCacheSize += b.Size
	}
	r.BuildCache = r.BuildCacheSize
	return r
}
