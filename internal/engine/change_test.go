package engine

import (
	"reflect"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestApplyChange(t *testing.T) {
	ports := func(p ...string) map[string]struct{} {
		m := map[string]struct{}{}
		for _, x := range p {
			m[x] = struct{}{}
		}
		return m
	}
	tests := []struct {
		name    string
		start   v1.Config
		changes []string
		want    v1.Config
	}{
		{"CMD JSON form", v1.Config{}, []string{`CMD ["/bin/app", "--flag", "a b"]`},
			v1.Config{Cmd: []string{"/bin/app", "--flag", "a b"}}},
		{"CMD shell form", v1.Config{}, []string{`CMD echo hello && sleep 1`},
			v1.Config{Cmd: []string{"/bin/sh", "-c", "echo hello && sleep 1"}}},
		{"CMD lower case", v1.Config{}, []string{`cmd ["sh"]`}, v1.Config{Cmd: []string{"sh"}}},
		{"CMD replaces the previous one", v1.Config{Cmd: []string{"old"}}, []string{`CMD ["new"]`},
			v1.Config{Cmd: []string{"new"}}},
		{"ENTRYPOINT JSON form", v1.Config{}, []string{`ENTRYPOINT ["/init"]`},
			v1.Config{Entrypoint: []string{"/init"}}},
		{"ENTRYPOINT shell form", v1.Config{}, []string{`ENTRYPOINT exec /init`},
			v1.Config{Entrypoint: []string{"/bin/sh", "-c", "exec /init"}}},
		{"CMD and ENTRYPOINT together", v1.Config{}, []string{`ENTRYPOINT ["/init"]`, `CMD ["--serve"]`},
			v1.Config{Entrypoint: []string{"/init"}, Cmd: []string{"--serve"}}},
		{"ENV one pair", v1.Config{}, []string{`ENV A=1`}, v1.Config{Env: []string{"A=1"}}},
		{"ENV several pairs", v1.Config{}, []string{`ENV A=1 B=two C=`},
			v1.Config{Env: []string{"A=1", "B=two", "C="}}},
		{"ENV quoted value", v1.Config{}, []string{`ENV GREETING="hello world" N=2`},
			v1.Config{Env: []string{"GREETING=hello world", "N=2"}}},
		{"ENV legacy KEY VALUE", v1.Config{}, []string{`ENV PATH /usr/local/bin:/usr/bin`},
			v1.Config{Env: []string{"PATH=/usr/local/bin:/usr/bin"}}},
		{"ENV legacy value with spaces", v1.Config{}, []string{`ENV MSG hello big world`},
			v1.Config{Env: []string{"MSG=hello big world"}}},
		{"ENV replaces a key in place", v1.Config{Env: []string{"PATH=/bin", "HOME=/root"}}, []string{`ENV PATH=/sbin`},
			v1.Config{Env: []string{"PATH=/sbin", "HOME=/root"}}},
		{"ENV value holding =", v1.Config{}, []string{`ENV OPTS=a=b`}, v1.Config{Env: []string{"OPTS=a=b"}}},
		{"LABEL pairs", v1.Config{}, []string{`LABEL version=1.0 release=stable`},
			v1.Config{Labels: map[string]string{"version": "1.0", "release": "stable"}}},
		{"LABEL quoted value", v1.Config{}, []string{`LABEL maintainer="A B <a@b>" tier=web`},
			v1.Config{Labels: map[string]string{"maintainer": "A B <a@b>", "tier": "web"}}},
		{"LABEL legacy", v1.Config{}, []string{`LABEL owner team a`},
			v1.Config{Labels: map[string]string{"owner": "team a"}}},
		{"LABEL added to existing", v1.Config{Labels: map[string]string{"a": "1"}}, []string{`LABEL b=2`},
			v1.Config{Labels: map[string]string{"a": "1", "b": "2"}}},
		{"WORKDIR", v1.Config{}, []string{`WORKDIR /srv/app`}, v1.Config{WorkingDir: "/srv/app"}},
		{"USER", v1.Config{}, []string{`USER 1000:1000`}, v1.Config{User: "1000:1000"}},
		{"EXPOSE without protocol is tcp", v1.Config{}, []string{`EXPOSE 80`}, v1.Config{ExposedPorts: ports("80/tcp")}},
		{"EXPOSE several, with protocols", v1.Config{}, []string{`EXPOSE 80 53/udp 443/tcp`},
			v1.Config{ExposedPorts: ports("80/tcp", "53/udp", "443/tcp")}},
		{"EXPOSE twice accumulates", v1.Config{}, []string{`EXPOSE 80`, `EXPOSE 81`},
			v1.Config{ExposedPorts: ports("80/tcp", "81/tcp")}},
		{"VOLUME JSON form", v1.Config{}, []string{`VOLUME ["/data", "/logs"]`},
			v1.Config{Volumes: ports("/data", "/logs")}},
		{"VOLUME plain form", v1.Config{}, []string{`VOLUME /data /cache`},
			v1.Config{Volumes: ports("/data", "/cache")}},
		{"STOPSIGNAL", v1.Config{}, []string{`STOPSIGNAL SIGQUIT`}, v1.Config{StopSignal: "SIGQUIT"}},
		{"surrounding space", v1.Config{}, []string{`   WORKDIR   /x  `}, v1.Config{WorkingDir: "/x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.start
			for _, ch := range tt.changes {
				if err := ApplyChange(&c, ch); err != nil {
					t.Fatalf("ApplyChange(%q): %v", ch, err)
				}
			}
			if !reflect.DeepEqual(c, tt.want) {
				t.Errorf("config after %q =\n %+v\nwant\n %+v", tt.changes, c, tt.want)
			}
		})
	}
}

func TestApplyChangeErrors(t *testing.T) {
	tests := []struct {
		change  string
		wantErr string
	}{
		{`RUN apt-get update`, `invalid --change "RUN apt-get update": RUN is not supported`},
		{`FROM busybox`, "FROM is not supported"},
		{`COPY a /b`, "COPY is not supported"},
		{``, `invalid --change ""`},
		{`   `, `invalid --change`},
		{`CMD`, "CMD needs an argument"},
		{`ENTRYPOINT   `, "ENTRYPOINT needs an argument"},
		{`CMD ["unterminated"`, "not a JSON array of strings"},
		{`CMD [1, 2]`, "not a JSON array of strings"},
		{`VOLUME ["/data"`, "not a JSON array of strings"},
		{`ENV`, "missing KEY=VALUE"},
		{`ENV A=1 B`, `"B" is not KEY=VALUE`},
		{`ENV =1`, "is not KEY=VALUE"},
		{`ENV A="unterminated`, "unterminated quote"},
		{`LABEL`, "missing KEY=VALUE"},
		{`WORKDIR`, "WORKDIR needs a path"},
		{`USER`, "USER needs a user"},
	}
	for _, tt := range tests {
		t.Run(tt.change, func(t *testing.T) {
			c := v1.Config{Cmd: []string{"keep"}}
			err := ApplyChange(&c, tt.change)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ApplyChange(%q) error = %v, want one containing %q", tt.change, err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans several lines: %q", err)
			}
		})
	}
}

func TestApplyChangeExposeLikeDocker(t *testing.T) {
	var c v1.Config
	if err := ApplyChange(&c, "EXPOSE 8000-8002/udp"); err != nil {
		t.Fatal(err)
	}
	want := map[string]struct{}{"8000/udp": {}, "8001/udp": {}, "8002/udp": {}}
	if !reflect.DeepEqual(c.ExposedPorts, want) {
		t.Errorf("EXPOSE 8000-8002/udp = %v, want %v", c.ExposedPorts, want)
	}
	if err := ApplyChange(&c, "EXPOSE http"); err == nil {
		t.Error("EXPOSE http: no error")
	}
}
