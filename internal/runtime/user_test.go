package runtime

import (
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

const testPasswd = `root:x:0:0:root:/root:/bin/sh
# a comment
alice:x:1000:1000:Alice:/home/alice:/bin/sh
bob:x:1001:1001::/home/bob:/bin/sh
broken line
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
`

const testGroup = `root:x:0:
alice:x:1000:
staff:x:50:alice,bob
video:x:44:bob,alice
nogroup:x:65534:
`

func TestResolveUser(t *testing.T) {
	tests := []struct {
		spec    string
		noFiles bool
		want    execUser
		wantErr string
	}{
		{spec: "root", want: execUser{UID: 0, GID: 0, Home: "/root"}},
		{spec: "alice", want: execUser{UID: 1000, GID: 1000, Groups: []uint32{50, 44}, Home: "/home/alice"}},
		{spec: "1000", want: execUser{UID: 1000, GID: 1000, Groups: []uint32{50, 44}, Home: "/home/alice"}},
		{spec: "alice:staff", want: execUser{UID: 1000, GID: 50, Home: "/home/alice"}},
		{spec: "alice:44", want: execUser{UID: 1000, GID: 44, Home: "/home/alice"}},
		{spec: "alice:4242", want: execUser{UID: 1000, GID: 4242, Home: "/home/alice"}},
		{spec: "1234", want: execUser{UID: 1234, GID: 0, Home: "/"}},
		{spec: "1234:5", want: execUser{UID: 1234, GID: 5, Home: "/"}},
		{spec: "1234:video", want: execUser{UID: 1234, GID: 44, Home: "/"}},
		{spec: "1234", noFiles: true, want: execUser{UID: 1234, Home: "/"}},
		{spec: "0:0", noFiles: true, want: execUser{Home: "/"}},
		{spec: "carol", wantErr: "unable to find user carol"},
		{spec: "alice", noFiles: true, wantErr: "unable to find user alice"},
		{spec: "alice:nosuch", wantErr: "unable to find group nosuch"},
		{spec: "-1", wantErr: "unable to find user -1"},
		{spec: "4294967296", wantErr: "unable to find user 4294967296"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			var pw, gr *strings.Reader
			if !tt.noFiles {
				pw, gr = strings.NewReader(testPasswd), strings.NewReader(testGroup)
			}
			var got execUser
			var err error
			if tt.noFiles {
				got, err = resolveUser(tt.spec, nil, nil)
			} else {
				got, err = resolveUser(tt.spec, pw, gr)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("resolveUser(%q) error = %v, want %q", tt.spec, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("resolveUser(%q): %v", tt.spec, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("resolveUser(%q) = %+v, want %+v", tt.spec, got, tt.want)
			}
		})
	}
}

func TestHomeOf(t *testing.T) {
	for uid, want := range map[uint32]string{0: "/root", 1001: "/home/bob", 4242: "/"} {
		if got := homeOf(uid, strings.NewReader(testPasswd)); got != want {
			t.Errorf("homeOf(%d) = %q, want %q", uid, got, want)
		}
	}
	if got := homeOf(0, nil); got != "/" {
		t.Errorf("homeOf without passwd = %q, want /", got)
	}
}

func TestResolveProcessUser(t *testing.T) {
	passwd := []byte("root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n")
	group := []byte("root:x:0:\napp:x:1000:\nextra:x:2000:app\n")
	cases := []struct {
		user    specs.User
		env     []string
		want    specs.User
		wantEnv []string
		wantErr bool
	}{
		{user: specs.User{Username: "app"}, want: specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{2000}}, wantEnv: []string{"HOME=/home/app"}},
		{user: specs.User{Username: "1234:5678"}, want: specs.User{UID: 1234, GID: 5678}, wantEnv: []string{"HOME=/"}},
		{user: specs.User{Username: "app"}, env: []string{"HOME=/x"}, want: specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{2000}}, wantEnv: []string{"HOME=/x"}},
		{user: specs.User{UID: 0, AdditionalGids: []uint32{7}}, want: specs.User{AdditionalGids: []uint32{7}}, wantEnv: []string{"HOME=/root"}},
		{user: specs.User{Username: "nobody-here"}, wantErr: true},
	}
	for _, c := range cases {
		p := &specs.Process{User: c.user, Env: c.env}
		err := ResolveProcessUser(p, passwd, group)
		if c.wantErr {
			if err == nil {
				t.Errorf("%+v: no error", c.user)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(p.User, c.want) || !reflect.DeepEqual(p.Env, c.wantEnv) {
			t.Errorf("%+v: %+v %q, %v; want %+v %q", c.user, p.User, p.Env, err, c.want, c.wantEnv)
		}
	}
}
