package runccli

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestParseGlobals(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    Globals
		rest    []string
		wantErr string
	}{
		{"none", []string{"state", "x"}, Globals{Root: "/def", LogFormat: "text"}, []string{"state", "x"}, ""},
		{"containerd's order", []string{"--root", "/r", "--log", "/l.json", "--log-format", "json", "create", "--bundle", "b", "id"},
			Globals{Root: "/r", Log: "/l.json", LogFormat: "json"}, []string{"create", "--bundle", "b", "id"}, ""},
		{"equals and one dash", []string{"-root=/r", "--debug", "--systemd-cgroup", "list"},
			Globals{Root: "/r", LogFormat: "text", Debug: true, SystemdCgroup: true}, []string{"list"}, ""},
		{"version", []string{"--version"}, Globals{Root: "/def", LogFormat: "text", Version: true}, []string{}, ""},
		{"missing value", []string{"--root"}, Globals{}, nil, "flag needs an argument: --root"},
		{"bad log format", []string{"--log-format", "xml", "list"}, Globals{}, nil, "invalid log-format: xml"},
		{"unknown", []string{"--frobnicate", "list"}, Globals{}, nil, "flag provided but not defined: -frobnicate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, rest, err := parseGlobals(tt.args, "/def")
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if g != tt.want || !reflect.DeepEqual(rest, tt.rest) {
				t.Errorf("got %+v %q, want %+v %q", g, rest, tt.want, tt.rest)
			}
		})
	}
}

func TestParseSignal(t *testing.T) {
	tests := []struct {
		in   string
		want unix.Signal
		ok   bool
	}{
		{"KILL", unix.SIGKILL, true}, {"SIGTERM", unix.SIGTERM, true}, {"9", unix.SIGKILL, true},
		{"hup", unix.SIGHUP, true}, {"SIGRTMIN", 0, false}, {"0", 0, false}, {"65", 0, false}, {"NOPE", 0, false},
	}
	for _, tt := range tests {
		got, err := parseSignal(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseSignal(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestExecFlagsProcess(t *testing.T) {
	base := &specs.Process{
		Args: []string{"sleep", "1"}, Env: []string{"PATH=/bin"}, Cwd: "/",
		User:         specs.User{UID: 5, GID: 6, Username: "alice"},
		Capabilities: &specs.LinuxCapabilities{Bounding: []string{"CAP_KILL"}, Effective: []string{"CAP_KILL"}},
		Terminal:     true,
	}
	tests := []struct {
		name    string
		flags   ExecFlags
		check   func(*specs.Process) string
		wantErr bool
	}{
		{"args, env, cwd, tty", ExecFlags{Args: []string{"echo", "hi"}, Env: []string{"A=1"}, Cwd: "/tmp", Tty: false},
			func(p *specs.Process) string {
				if !reflect.DeepEqual(p.Args, []string{"echo", "hi"}) || !reflect.DeepEqual(p.Env, []string{"PATH=/bin", "A=1"}) ||
					p.Cwd != "/tmp" || p.Terminal {
					return "wrong process"
				}
				return ""
			}, false},
		{"user and gid", ExecFlags{Args: []string{"id"}, User: "1000:50", Gids: []string{"7"}},
			func(p *specs.Process) string {
				if p.User.UID != 1000 || p.User.GID != 50 || p.User.Username != "" || !reflect.DeepEqual(p.User.AdditionalGids, []uint32{7}) {
					return "wrong user"
				}
				return ""
			}, false},
		{"caps are added", ExecFlags{Args: []string{"id"}, Caps: []string{"net_admin", "CAP_KILL"}},
			func(p *specs.Process) string {
				if !reflect.DeepEqual(p.Capabilities.Bounding, []string{"CAP_KILL", "CAP_NET_ADMIN"}) ||
					!reflect.DeepEqual(p.Capabilities.Permitted, []string{"CAP_NET_ADMIN", "CAP_KILL"}) {
					return "wrong caps"
				}
				return ""
			}, false},
		{"bad uid", ExecFlags{Args: []string{"id"}, User: "alice"}, nil, true},
		{"bad gid", ExecFlags{Args: []string{"id"}, User: "1:staff"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tt.flags.Process(base)
			if tt.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if msg := tt.check(p); msg != "" {
				t.Errorf("%s: %+v", msg, p)
			}
			if !reflect.DeepEqual(base.Capabilities.Bounding, []string{"CAP_KILL"}) || base.Args[0] != "sleep" {
				t.Errorf("the container's process was changed: %+v", base)
			}
		})
	}
}

func TestFilterPs(t *testing.T) {
	out := "UID PID PPID C STIME TTY TIME CMD\nroot 1 0 0 10:00 ? 00:00:01 init\nroot 42 1 0 10:00 ? 00:00:00 sleep 100\nroot 420 1 0 10:00 ? 00:00:00 x 42\n"
	got, err := filterPs([]byte(out), []int{42})
	if err != nil {
		t.Fatal(err)
	}
	want := "UID PID PPID C STIME TTY TIME CMD\nroot 42 1 0 10:00 ? 00:00:00 sleep 100\n"
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if _, err := filterPs([]byte("USER COMMAND\n"), nil); err == nil {
		t.Error("no error without a PID column")
	}
}

func TestLogLine(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	var v map[string]string
	if err := json.Unmarshal(logLine("json", "error", `bad "thing"`, now), &v); err != nil {
		t.Fatal(err)
	}
	if v["level"] != "error" || v["msg"] != `bad "thing"` || v["time"] != "2025-01-02T03:04:05Z" {
		t.Errorf("json line %v", v)
	}
	text := string(logLine("text", "error", "bad", now))
	if !strings.Contains(text, `level=error msg="bad"`) || !strings.HasSuffix(text, "\n") {
		t.Errorf("text line %q", text)
	}
}

func TestNeedArgs(t *testing.T) {
	tests := []struct {
		args     []string
		min, max int
		ok       bool
	}{
		{[]string{"a"}, 1, 1, true}, {nil, 1, 1, false}, {[]string{"a", "b"}, 1, 1, false},
		{[]string{"a", "b", "c"}, 1, -1, true}, {[]string{"a", "b"}, 1, 2, true},
	}
	for _, tt := range tests {
		if err := needArgs("x", tt.args, tt.min, tt.max); (err == nil) != tt.ok {
			t.Errorf("needArgs(%q, %d, %d) = %v", tt.args, tt.min, tt.max, err)
		}
	}
}

func TestDefaultSpecIsValidJSON(t *testing.T) {
	b, err := json.Marshal(DefaultSpec())
	if err != nil {
		t.Fatal(err)
	}
	var s specs.Spec
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if s.Root.Path != "rootfs" || !s.Process.Terminal || len(s.Linux.Namespaces) != 5 {
		t.Errorf("spec %+v", s)
	}
}
