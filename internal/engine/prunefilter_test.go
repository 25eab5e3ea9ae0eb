package engine

import (
	"testing"
	"time"
)

func TestPruneFilter(t *testing.T) {
	now := time.Date(2026, 12, 6, 6, 0, 0, 0, time.UTC)
	old, young := now.Add(-2*time.Hour), now.Add(-time.Minute)
	labels := map[string]string{"tier": "front", "keep": ""}
	for _, tc := range []struct {
		f       map[string][]string
		created time.Time
		want    bool
	}{
		{nil, young, true},
		{map[string][]string{"until": {"1h"}}, old, true},
		{map[string][]string{"until": {"1h"}}, young, false},
		{map[string][]string{"until": {"2026-12-06T05:30:00Z"}}, old, true},
		{map[string][]string{"until": {"2026-12-06T05:30:00Z"}}, young, false},
		{map[string][]string{"label": {"tier"}}, young, true},
		{map[string][]string{"label": {"tier=front"}}, young, true},
		{map[string][]string{"label": {"tier=back"}}, young, false},
		{map[string][]string{"label": {"tier", "zone"}}, young, false},
		{map[string][]string{"label!": {"keep"}}, young, false},
		{map[string][]string{"label!": {"tier=back"}}, young, true},
		{map[string][]string{"label": {"tier"}, "until": {"1h"}}, old, true},
	} {
		f, err := ParsePruneFilter(tc.f, now)
		if err != nil {
			t.Fatalf("%v: %v", tc.f, err)
		}
		if got := f.Match(tc.created, labels); got != tc.want {
			t.Errorf("%v on one created %s: %v, want %v", tc.f, tc.created, got, tc.want)
		}
	}
	for _, bad := range []map[string][]string{
		{"since": {"1h"}},
		{"until": {"soon"}},
		{"until": {"1h", "2h"}},
	} {
		if _, err := ParsePruneFilter(bad, now); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}
