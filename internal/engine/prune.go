package engine

import (
	"strconv"
	"time"

	"github.com/geedocker/geedocker/internal/events"
)

// PruneUnusedImages removes every image no container uses, with all its references, as
// `image prune -a` and `system prune -a` do, and returns what it untagged and deleted
// (Docker's lines) and the space freed.
func (e *Engine) PruneUnusedImages() (RemoveResult, int64, error) {
	return e.PruneImagesFiltered(true, PruneFilter{})
}

// PruneImagesFiltered removes the images no container uses that f matches: with all,
// tagged ones too; without, only dangling ones (no tag), as PruneImages.
func (e *Engine) PruneImagesFiltered(all bool, f PruneFilter) (RemoveResult, int64, error) {
	images, err := e.Images()
	if err != nil {
		return nil, 0, err
	}
	var res RemoveResult
	layers := map[string]int64{} // chain ID → size, of the images deleted
	for _, s := range images {
		if !all && len(s.RepoTags) > 0 {
			continue
		}
		if !f.IsZero() {
			var labels map[string]string
			if cfg, err := e.ImageConfig(s.Image); err == nil {
				labels = cfg.Config.Labels
			}
			if !f.Match(s.Image.Created, labels) {
				continue
			}
		}
		if e.ImageUsers != nil {
			if users, err := e.ImageUsers(s.Image.ID); err != nil || len(users) > 0 {
				continue
			}
		}
		if err := e.Store.DeleteImage(s.Image.ID); err != nil {
			return res, 0, err
		}
		for _, r := range append(s.RepoTags, s.RepoDigests...) {
			res = append(res, "untagged: "+r.Familiar())
			e.emitImage("untag", s.Image.ID, s.Image.ID)
		}
		res = append(res, "deleted: "+s.Image.ID)
		e.emitImage("delete", s.Image.ID, s.Image.ID)
		for _, l := range s.Image.Layers {
			layers[l.ChainID] = l.Size
		}
	}
	var reclaimed int64
	if len(res) > 0 {
		err = e.GC()
		for chainID, size := range layers {
			if !e.Store.HasLayer(chainID) {
				reclaimed += size
			}
		}
	}
	e.Emit(events.Image, "prune", "", map[string]string{"reclaimed": strconv.FormatInt(reclaimed, 10)})
	return res, reclaimed, err
}

// PruneBuildCacheSpace removes the build cache records f matches (created before its until;
// records have no labels), and returns their IDs and the space freed.
func (e *Engine) PruneBuildCacheSpace(f PruneFilter) ([]string, int64, error) {
	records, err := e.Store.CacheRecords()
	if err != nil {
		return nil, 0, err
	}
	sizes := map[string]int64{}
	var ids []string
	for _, r := range records {
		if !f.Match(r.Created, nil) {
			continue
		}
		if err := e.Store.RemoveCacheRecord(r.Key); err != nil {
			return ids, 0, err
		}
		ids = append(ids, r.Key)
		for _, l := range r.Image.Layers {
			sizes[l.ChainID] = l.Size
		}
	}
	if len(ids) > 0 {
		if err := e.GC(); err != nil {
			return ids, 0, err
		}
	}
	mounts, reclaimed, err := e.pruneCacheMounts(func(t time.Time) bool { return f.Match(t, nil) })
	ids = append(ids, mounts...)
	if err != nil {
		return ids, reclaimed, err
	}
	for chainID, size := range sizes {
		if !e.Store.HasLayer(chainID) {
			reclaimed += size
		}
	}
	e.Emit(events.Builder, "prune", "", map[string]string{"reclaimed": strconv.FormatInt(reclaimed, 10)})
	return ids, reclaimed, nil
}
