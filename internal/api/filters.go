package api

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/geedocker/geedocker/internal/container"
)

// filters are Docker's ?filters={"key":{"value":true}} (or the older
// {"key":["value"]}).
type filters map[string][]string

func parseFilters(s string) (filters, error) {
	f := filters{}
	if s == "" {
		return f, nil
	}
	var sets map[string]map[string]bool
	if err := json.Unmarshal([]byte(s), &sets); err == nil {
		for k, vs := range sets {
			for v, on := range vs {
				if on {
					f[k] = append(f[k], v)
				}
			}
		}
		return f, nil
	}
	var lists map[string][]string
	if err := json.Unmarshal([]byte(s), &lists); err != nil {
		return nil, fmt.Errorf("invalid filter: %q", s)
	}
	return filters(lists), nil
}

func (f filters) has(key string) bool { return len(f[key]) > 0 }

// containerKeys are the filters matchContainer knows.
var containerKeys = map[string]bool{"id": true, "name": true, "status": true, "label": true, "ancestor": true, "network": true, "health": true}

// matchContainer says whether c passes every filter: values of one key
// match when any does, labels when all do. Unknown keys match nothing.
func (f filters) matchContainer(c *container.Container) bool {
	for key, vals := range f {
		if !containerKeys[key] {
			return false
		}
		ok := key == "label"
		for _, v := range vals {
			var m bool
			switch key {
			case "id":
				m = strings.HasPrefix(c.ID, v)
			case "name":
				m = strings.Contains(c.Name, strings.TrimPrefix(v, "/"))
			case "status":
				m = c.State.Status == v
			case "health":
				m = c.State.HealthStatus() == v
			case "ancestor":
				m = c.ImageName == v || c.Image == v || strings.HasPrefix(c.Image, "sha256:"+v)
			case "network":
				_, m = c.NetworkSettings.Networks[v]
				m = m || c.HostConfig.NetworkMode == v
			case "label":
				k, want, hasVal := strings.Cut(v, "=")
				got, present := c.Config.Labels[k]
				if !present || hasVal && got != want {
					ok = false
				}
				continue
			}
			if m {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// matchLabels says whether labels has every one of the label filter's
// values: "key" (present) or "key=value".
func matchLabels(vals []string, labels map[string]string) bool {
	for _, v := range vals {
		k, want, hasVal := strings.Cut(v, "=")
		got, present := labels[k]
		if !present || hasVal && got != want {
			return false
		}
	}
	return true
}
