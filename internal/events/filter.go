package events

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Filter is Docker's event filters: key → values. Values of one key match when any does;
// every key must match. Labels match when all do.
type Filter map[string][]string

// filterKeys are the keys Docker's events accept.
var filterKeys = []string{"config", "container", "daemon", "event", "image", "label", "network",
	"node", "plugin", "scope", "secret", "service", "type", "volume"}

// Validate refuses keys Docker's events do not know, in Docker's words.
func (f Filter) Validate() error {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !slices.Contains(filterKeys, k) {
			return fmt.Errorf("invalid filter '%s'", k)
		}
	}
	return nil
}

// Include says whether m passes the filter, as dockerd's event filter decides.
func (f Filter) Include(m Message) bool {
	return f.matchEvent(m.Action) &&
		f.exact("type", m.Type) &&
		f.exact("scope", m.Scope) &&
		f.matchName(m, "daemon") && f.matchName(m, Container) && f.matchName(m, "plugin") &&
		f.matchName(m, Volume) && f.matchName(m, Network) && f.matchName(m, "node") &&
		f.matchName(m, "service") && f.matchName(m, "secret") && f.matchName(m, "config") &&
		f.matchImage(m) && f.matchLabels(m.Actor.Attributes)
}

// exact: no values for key, or one equal to s.
func (f Filter) exact(key, s string) bool {
	vs, ok := f[key]
	return !ok || slices.Contains(vs, s)
}

// prefix: no values for key, or one that s starts with.
func (f Filter) prefix(key, s string) bool {
	vs, ok := f[key]
	if !ok {
		return true
	}
	for _, v := range vs {
		if strings.HasPrefix(s, v) {
			return true
		}
	}
	return false
}

// matchEvent: actions such as "exec_start: sh -c …" match "exec_start".
func (f Filter) matchEvent(action string) bool {
	for _, v := range f["event"] {
		if v == "exec_create" || v == "exec_start" || v == "health_status" {
			return f.prefix("event", action)
		}
	}
	return f.exact("event", action)
}

// matchName: a filter on a type matches the ID or the name of its events' actor (by
// prefix), and nothing of other types.
func (f Filter) matchName(m Message, typ string) bool {
	return f.prefix(typ, m.Actor.ID) || f.prefix(typ, m.Actor.Attributes["name"])
}

// matchImage: image events by ID or name, container events by their image, with or without
// the tag.
func (f Filter) matchImage(m Message) bool {
	attr := "image"
	if m.Type == Image {
		attr = "name"
	}
	name := m.Actor.Attributes[attr]
	return f.exact("image", m.Actor.ID) || f.exact("image", name) ||
		f.exact("image", stripTag(m.Actor.ID)) || f.exact("image", stripTag(name))
}

// stripTag is the familiar repository name of an image reference, without tag or digest.
func stripTag(ref string) string {
	if strings.HasPrefix(ref, "sha256:") {
		return ref
	}
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	ref = strings.TrimPrefix(ref, "docker.io/")
	return strings.TrimPrefix(ref, "library/")
}

// matchLabels: every label=KEY or label=KEY=VALUE is among the attributes.
func (f Filter) matchLabels(attrs map[string]string) bool {
	for _, v := range f["label"] {
		k, want, hasValue := strings.Cut(v, "=")
		got, ok := attrs[k]
		if !ok || (hasValue && got != want) {
			return false
		}
	}
	return true
}
