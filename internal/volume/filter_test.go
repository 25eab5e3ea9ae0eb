package volume

import (
	"errors"
	"testing"

	"github.com/geedocker/geedocker/internal/errdefs"
)

func TestFilters(t *testing.T) {
	v := &Volume{Name: "appdata", Driver: "local", Labels: map[string]string{"team": "a", "env": ""}}
	for _, tc := range []struct {
		f     map[string][]string
		prune bool
		users int
		want  bool
		err   bool
	}{
		{f: nil, want: true},
		{f: map[string][]string{"name": {"app"}}, want: true},
		{f: map[string][]string{"name": {"nope", "data"}}, want: true},
		{f: map[string][]string{"name": {"nope"}}, want: false},
		{f: map[string][]string{"dangling": {"true"}}, users: 0, want: true},
		{f: map[string][]string{"dangling": {"true"}}, users: 1, want: false},
		{f: map[string][]string{"dangling": {"false"}}, users: 1, want: true},
		{f: map[string][]string{"label": {"team=a", "env"}}, want: true},
		{f: map[string][]string{"label": {"team=a", "other"}}, want: false},
		{f: map[string][]string{"label!": {"team"}}, prune: true, want: false},
		{f: map[string][]string{"driver": {"local"}}, want: true},
		{f: map[string][]string{"dangling": {"maybe"}}, err: true},
		{f: map[string][]string{"name": {"x"}}, prune: true, err: true},
		{f: map[string][]string{"bogus": {"x"}}, err: true},
	} {
		f, err := ParseFilters(tc.f, tc.prune)
		if tc.err {
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Errorf("%v: err %v, want an invalid argument", tc.f, err)
			}
			continue
		}
		if err != nil || f.Match(v, tc.users) != tc.want {
			t.Errorf("%v (users %d): match %v err %v, want %v", tc.f, tc.users, f.Match(v, tc.users), err, tc.want)
		}
	}
}
