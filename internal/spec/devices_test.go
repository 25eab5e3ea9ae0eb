package spec

import (
	"errors"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestParseDevice(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    DeviceMapping
		wantErr string
	}{
		{in: "/dev/null", want: DeviceMapping{"/dev/null", "/dev/null", "rwm"}},
		{in: "/dev/null:/dev/mynull", want: DeviceMapping{"/dev/null", "/dev/mynull", "rwm"}},
		{in: "/dev/zero:/dev/z:r", want: DeviceMapping{"/dev/zero", "/dev/z", "r"}},
		{in: "/dev/zero:rw", want: DeviceMapping{"/dev/zero", "/dev/zero", "rw"}},
		{in: "/dev/zero:/dev/./z/:mwr", want: DeviceMapping{"/dev/zero", "/dev/z", "mwr"}},
		{in: "/dev/snd", want: DeviceMapping{"/dev/snd", "/dev/snd", "rwm"}},
		{in: "", wantErr: "bad format for path: "},
		{in: ":/dev/z", wantErr: "bad format for path: :/dev/z"},
		{in: "/dev/a:/dev/b:r:w", wantErr: "bad format for path: /dev/a:/dev/b:r:w"},
		{in: "/dev/zero:/dev/z:rwx", wantErr: "bad mode specified: rwx"},
		{in: "/dev/zero:/dev/z:rr", wantErr: "bad mode specified: rr"},
		{in: "/dev/zero:/dev/z:", wantErr: "bad mode specified: "},
		{in: "/dev/zero:z", wantErr: "z is not an absolute path"},
		{in: "/dev/zero:rwx", wantErr: "rwx is not an absolute path"},
		{in: "zero", wantErr: "zero is not an absolute path"},
		{in: "zero:/dev/z", wantErr: "zero is not an absolute path"},
	} {
		got, err := ParseDevice(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("ParseDevice(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseDevice(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseDeviceCgroupRule(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    string // devices.allow form
		wantErr bool
	}{
		{in: "c 1:3 rwm", want: "c 1:3 rwm"},
		{in: "b *:* m", want: "b *:* m"},
		{in: "a *:* rwm", want: "a *:* rwm"},
		{in: "c 136:* rw", want: "c 136:* rw"},
		{in: "c 1:3", wantErr: true},
		{in: "x 1:3 r", wantErr: true},
		{in: "c 1:3 rwx", wantErr: true},
		{in: "c 1:3 rwmr", wantErr: true},
		{in: "c -1:3 r", wantErr: true},
		{in: " c 1:3 r", wantErr: true},
		{in: "c 1:3 r\n", wantErr: true},
		{in: "c 99999999999:3 r", wantErr: true},
	} {
		r, err := ParseDeviceCgroupRule(tt.in)
		if tt.wantErr {
			if err == nil || !strings.HasPrefix(err.Error(), "invalid device cgroup format '"+tt.in+"'") {
				t.Errorf("ParseDeviceCgroupRule(%q) error = %v, want invalid device cgroup format", tt.in, err)
			}
			continue
		}
		if err != nil || !r.Allow || ruleString(r) != tt.want {
			t.Errorf("ParseDeviceCgroupRule(%q) = %s (allow %v), %v; want %s", tt.in, ruleString(r), r.Allow, err, tt.want)
		}
	}
}

// fakeHostDevices makes Build see these nodes (by host path) and
// directories (by host path, the nodes below with paths relative to it).
func fakeHostDevices(t *testing.T, nodes map[string]specs.LinuxDevice, dirs map[string][]specs.LinuxDevice) {
	t.Helper()
	old := hostDevices
	hostDevices = func(hostPath, ctrPath string) ([]specs.LinuxDevice, error) {
		if d, ok := nodes[hostPath]; ok {
			d.Path = ctrPath
			return []specs.LinuxDevice{d}, nil
		}
		if below, ok := dirs[hostPath]; ok {
			var out []specs.LinuxDevice
			for _, d := range below {
				d.Path = ctrPath + "/" + d.Path
				out = append(out, d)
			}
			return out, nil
		}
		return nil, errors.New("no such file or directory")
	}
	t.Cleanup(func() { hostDevices = old })
}

func TestBuildUserDevices(t *testing.T) {
	mode := os.FileMode(0o660)
	zero := specs.LinuxDevice{Type: "c", Major: 1, Minor: 5, FileMode: &mode}
	null := specs.LinuxDevice{Type: "c", Major: 1, Minor: 3, FileMode: &mode}
	fakeHostDevices(t, map[string]specs.LinuxDevice{"/dev/zero": zero, "/dev/null": null},
		map[string][]specs.LinuxDevice{"/dev/snd": {
			{Path: "controlC0", Type: "c", Major: 116, Minor: 2},
			{Path: "pcmC0D0p", Type: "c", Major: 116, Minor: 16},
		}})
	defaults := "a *:* rwm(deny) c *:* m b *:* m c 1:3 rwm c 1:5 rwm c 1:7 rwm c 1:8 rwm c 1:9 rwm c 5:0 rwm c 5:1 rwm c 5:2 rwm c 136:* rwm"
	for _, tt := range []struct {
		name       string
		devices    []string
		rules      []string
		privileged bool
		wantNodes  string // path type major:minor of the nodes after the 6 defaults
		wantRules  string // after the defaults
		wantErr    string
	}{
		{name: "a device under another name", devices: []string{"/dev/zero:/dev/z:r"},
			wantNodes: "/dev/z c 1:5", wantRules: "c 1:5 r"},
		{name: "a directory", devices: []string{"/dev/snd:/dev/sound:rw"},
			wantNodes: "/dev/sound/controlC0 c 116:2 /dev/sound/pcmC0D0p c 116:16",
			wantRules: "c 116:2 rw c 116:16 rw"},
		{name: "rules after devices", devices: []string{"/dev/null:/dev/mynull"}, rules: []string{"b 8:0 r", "c *:* m"},
			wantNodes: "/dev/mynull c 1:3", wantRules: "c 1:3 rwm b 8:0 r c *:* m"},
		{name: "privileged keeps allow all", devices: []string{"/dev/zero:/dev/z:r"}, rules: []string{"b 8:0 r"}, privileged: true,
			wantNodes: "/dev/z c 1:5"},
		{name: "missing host device", devices: []string{"/dev/nope"},
			wantErr: `error gathering device information while adding custom device "/dev/nope": no such file or directory`},
		{name: "outside /dev", devices: []string{"/dev/zero:/z"},
			wantErr: "invalid device /dev/zero: the path in the container, /z, is not below /dev"},
		{name: "bad rule", rules: []string{"c 1:3"}, wantErr: "invalid device cgroup format 'c 1:3'"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := base()
			o.Privileged = tt.privileged
			o.DeviceCgroupRules = tt.rules
			for _, s := range tt.devices {
				m, err := ParseDevice(s)
				if err != nil {
					t.Fatal(err)
				}
				o.Devices = append(o.Devices, m)
			}
			s, err := Build(o)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Build error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var nodes []string
			for _, d := range s.Linux.Devices[6:] {
				nodes = append(nodes, d.Path+" "+d.Type+" "+itoa(d.Major)+":"+itoa(d.Minor))
			}
			if got := strings.Join(nodes, " "); got != tt.wantNodes {
				t.Errorf("nodes %q, want %q", got, tt.wantNodes)
			}
			var rules []string
			for _, r := range s.Linux.Resources.Devices {
				rs := ruleString(r)
				if !r.Allow {
					rs += "(deny)"
				}
				rules = append(rules, rs)
			}
			want := defaults
			if tt.wantRules != "" {
				want += " " + tt.wantRules
			}
			if tt.privileged {
				want = "a *:* rwm"
			}
			if got := strings.Join(rules, " "); got != want {
				t.Errorf("rules\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestBuildUserDeviceReplacesDefault(t *testing.T) {
	mode := os.FileMode(0o600)
	fakeHostDevices(t, map[string]specs.LinuxDevice{"/dev/full": {Type: "c", Major: 1, Minor: 7, FileMode: &mode}}, nil)
	o := base()
	o.Devices = []DeviceMapping{{PathOnHost: "/dev/full", PathInContainer: "/dev/null", CgroupPermissions: "r"}}
	var got []specs.LinuxDevice
	for _, d := range mustBuild(t, o).Linux.Devices {
		if d.Path == "/dev/null" {
			got = append(got, d)
		}
	}
	want := []specs.LinuxDevice{{Path: "/dev/null", Type: "c", Major: 1, Minor: 7, FileMode: &mode}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("/dev/null nodes %+v, want only the --device one %+v", got, want)
	}
}

func itoa(n int64) string {
	if n == -1 {
		return "*"
	}
	return strconv.FormatInt(n, 10)
}

// ruleString writes a rule as devices.allow takes it: "c 1:3 rwm".
func ruleString(r specs.LinuxDeviceCgroup) string {
	num := func(p *int64) string {
		if p == nil {
			return "*"
		}
		return itoa(*p)
	}
	typ := r.Type
	if typ == "" {
		typ = "a"
	}
	return typ + " " + num(r.Major) + ":" + num(r.Minor) + " " + r.Access
}
