package api

import (
	"fmt"
	"maps"
	"path"
	"time"

	"github.com/geedocker/geedocker/internal/engine"
	"github.com/geedocker/geedocker/internal/reference"
)

// imageKeys are the filters of GET /images/json, as Docker's.
var imageKeys = map[string]bool{"dangling": true, "label": true, "before": true, "since": true, "reference": true}

// imageFilter is the filters of GET /images/json, resolved: the dates of
// before= and since= are those of the images they name.
type imageFilter struct {
	f              filters
	dangling       *bool
	before, since  time.Time
	hasBef, hasSin bool
}

// newImageFilter checks the keys and values and resolves before= and
// since=; an unknown image there is not found (404), as Docker's.
func (s *Server) newImageFilter(f filters) (*imageFilter, error) {
	fl := &imageFilter{f: f}
	for k, vals := range f {
		if !imageKeys[k] {
			return nil, badRequest(fmt.Errorf("invalid filter '%s'", k))
		}
		switch k {
		case "dangling":
			// As Docker's: true and false only; true wins when both are given.
			d := false
			for _, v := range vals {
				if v != "true" && v != "false" {
					return nil, badRequest(fmt.Errorf("invalid filter 'dangling=%s'", v))
				}
				d = d || v == "true"
			}
			fl.dangling = &d
		case "before", "since":
			for _, v := range vals {
				im, _, err := s.Engine.Lookup(v)
				if err != nil {
					return nil, err
				}
				// Docker keeps the last value of each.
				if k == "before" {
					fl.before, fl.hasBef = im.Created, true
				} else {
					fl.since, fl.hasSin = im.Created, true
				}
			}
		}
	}
	return fl, nil
}

// match says whether the image passes every filter; labels are its
// config's (read only when a label filter asks).
func (fl *imageFilter) match(sum engine.ImageSummary, labels func() map[string]string) bool {
	// dangling=true keeps the images without a tag; dangling=false drops
	// those without any reference, as Docker's.
	if fl.dangling != nil {
		if *fl.dangling && len(sum.RepoTags) > 0 || !*fl.dangling && len(sum.RepoTags)+len(sum.RepoDigests) == 0 {
			return false
		}
	}
	if fl.hasBef && !sum.Image.Created.Before(fl.before) {
		return false
	}
	if fl.hasSin && !sum.Image.Created.After(fl.since) {
		return false
	}
	if pats := fl.f["reference"]; len(pats) > 0 && !matchReference(pats, sum) {
		return false
	}
	if vals := fl.f["label"]; len(vals) > 0 && !matchLabels(vals, labels()) {
		return false
	}
	return true
}

// matchReference says whether one of the image's references matches one of
// the patterns (path.Match), by its familiar name or its familiar string
// (name:tag), as Docker's FamiliarMatch.
func matchReference(patterns []string, sum engine.ImageSummary) bool {
	refs := append(append([]reference.Reference{}, sum.RepoTags...), sum.RepoDigests...)
	for _, p := range patterns {
		for _, r := range refs {
			if ok, _ := path.Match(p, r.FamiliarName()); ok {
				return true
			}
			if ok, _ := path.Match(p, r.Familiar()); ok {
				return true
			}
		}
	}
	return false
}

// imageLabels returns a function that reads the labels of an image's
// config once; an unreadable config has none.
func (s *Server) imageLabels(sum engine.ImageSummary) func() map[string]string {
	var labels map[string]string
	return func() map[string]string {
		if labels == nil {
			labels = map[string]string{}
			if cfg, err := s.Engine.ImageConfig(sum.Image); err == nil {
				maps.Copy(labels, cfg.Config.Labels)
			}
		}
		return labels
	}
}
