package engine

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseMount(t *testing.T) {
	for _, tc := range []struct {
		in    string
		want  volumeUse
		tmpfs string
		err   string
	}{
		{in: "type=bind,source=/h,target=/c", want: volumeUse{Spec: "/h:/c", Source: "/h", Dest: "/c", MustExist: true}},
		{in: "type=bind,src=/h/,dst=/c,readonly,bind-propagation=rshared", want: volumeUse{Spec: "/h:/c:ro,rshared", Source: "/h", Dest: "/c", Mode: "ro,rshared", MustExist: true}},
		{in: "type=volume,source=data,target=/d,ro=true", want: volumeUse{Name: "data", Dest: "/d", Mode: "ro"}},
		{in: "target=/d,volume-nocopy", want: volumeUse{Anonymous: true, Dest: "/d", NoCopy: true}},
		{in: "type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=1770", tmpfs: "/t:size=1m,mode=1770"},
		{in: "type=tmpfs,destination=/t", tmpfs: "/t"},
		{in: "type=bind,source=rel,target=/c", err: `invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute`},
		{in: "type=bind,target=/c", err: `invalid mount config for type "bind": field Source must not be empty`},
		{in: "type=bind,source=/h", err: `invalid mount config for type "bind": field Target must not be empty`},
		{in: "type=tmpfs,source=/h,target=/t", err: `invalid mount config for type "tmpfs": field Source must not be specified`},
		{in: "type=nfs,target=/t", err: `invalid mount config for type "nfs": mount type unknown`},
		{in: "type=volume,source=a/b,target=/t", err: `"a/b" includes invalid characters`},
		{in: "type=bind,source=/h,target=/c,bogus=1", err: `unexpected key 'bogus' in 'bogus=1'`},
		{in: "type=bind,source=/h,target=/", err: `destination can't be '/'`},
		{in: "type=bind,source=/h,target=/c,readonly=maybe", err: `invalid value for readonly: maybe`},
	} {
		u, tmpfs, err := parseMount(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(u, tc.want) || tmpfs != tc.tmpfs {
			t.Errorf("%s: %+v %q %v, want %+v %q", tc.in, u, tmpfs, err, tc.want, tc.tmpfs)
		}
	}
}

func TestPlanVolumes(t *testing.T) {
	image := map[string]struct{}{"/img": {}, "/covered": {}, "/tmp": {}}
	plan, tmpfs, err := planVolumes(
		[]string{"data:/data:ro,nocopy", "/anon", "/h:/covered"},
		[]string{"type=tmpfs,target=/t"},
		[]string{"/tmp:size=1m"},
		[]volumeUse{{Name: "shared", Dest: "/shared", NoCopy: true}, {Name: "lost", Dest: "/data"}},
		image)
	if err != nil {
		t.Fatal(err)
	}
	want := []volumeUse{
		{Spec: "data:/data:ro,nocopy", Name: "data", Dest: "/data", Mode: "ro", NoCopy: true},
		{Spec: "/anon", Anonymous: true, Dest: "/anon"},
		{Spec: "/h:/covered", Source: "/h", Dest: "/covered"},
		{Name: "shared", Dest: "/shared", NoCopy: true},
		{Anonymous: true, Dest: "/img"},
	}
	if !reflect.DeepEqual(plan, want) || !reflect.DeepEqual(tmpfs, []string{"/t"}) {
		t.Errorf("plan:\n%+v\nwant\n%+v\ntmpfs %v", plan, want, tmpfs)
	}

	for _, tc := range []struct {
		binds []string
		err   string
	}{
		{[]string{"rel"}, "mount path must be absolute"},
		{[]string{"./x:/x"}, `create ./x: "./x" includes invalid characters for a local volume name`},
		{[]string{"data:rel"}, `invalid mount config for type "volume": invalid mount path: 'rel' mount path must be absolute`},
		{[]string{"aa:/x", "bb:/x"}, "Duplicate mount point: /x"},
		{[]string{"a:/x:ro:z"}, "invalid volume specification"},
	} {
		if _, _, err := planVolumes(tc.binds, nil, nil, nil, nil); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%v: err %v, want %q", tc.binds, err, tc.err)
		}
	}
}
