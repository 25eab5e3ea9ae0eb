package spec

import (
	"fmt"
	"reflect"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

var defaultDestinations = strs("/proc", "/dev", "/dev/pts", "/sys", "/sys/fs/cgroup", "/dev/mqueue", "/dev/shm")

func destinations(ms []specs.Mount) []string {
	var d []string
	for _, m := range ms {
		d = append(d, m.Destination)
	}
	return d
}

func findMount(t *testing.T, ms []specs.Mount, dst string) specs.Mount {
	t.Helper()
	for _, m := range ms {
		if m.Destination == dst {
			return m
		}
	}
	t.Fatalf("no mount at %s in %q", dst, destinations(ms))
	return specs.Mount{}
}

func TestDefaultMounts(t *testing.T) {
	s := mustBuild(t, base())
	want := []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc", Options: strs("nosuid", "noexec", "nodev")},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: strs("nosuid", "strictatime", "mode=755", "size=65536k")},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: strs("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5")},
		{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: strs("nosuid", "noexec", "nodev", "ro")},
		{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: strs("ro", "nosuid", "noexec", "nodev")},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: strs("nosuid", "noexec", "nodev")},
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: strs("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")},
	}
	if !reflect.DeepEqual(s.Mounts, want) {
		t.Fatalf("mounts:\n got %+v\nwant %+v", s.Mounts, want)
	}
}

func TestNetworkFileMounts(t *testing.T) {
	for _, readOnly := range []bool{false, true} {
		t.Run(fmt.Sprintf("read-only=%v", readOnly), func(t *testing.T) {
			o := base()
			o.ReadOnly = readOnly
			o.ResolvConfPath, o.HostnamePath, o.HostsPath = "/c/resolv.conf", "/c/hostname", "/c/hosts"
			s := mustBuild(t, o)

			wantDst := append(slices.Clone(defaultDestinations), "/etc/resolv.conf", "/etc/hostname", "/etc/hosts")
			if got := destinations(s.Mounts); !slices.Equal(got, wantDst) {
				t.Fatalf("destinations %q, want %q", got, wantDst)
			}
			wantOpts := strs("rbind", "rprivate")
			if readOnly {
				wantOpts = strs("rbind", "ro", "rprivate")
			}
			for _, f := range []struct{ dst, src string }{{"/etc/resolv.conf", "/c/resolv.conf"}, {"/etc/hostname", "/c/hostname"}, {"/etc/hosts", "/c/hosts"}} {
				m := findMount(t, s.Mounts, f.dst)
				if m.Source != f.src || m.Type != "bind" || !slices.Equal(m.Options, wantOpts) {
					t.Errorf("%s = %+v, want bind of %s with %q", f.dst, m, f.src, wantOpts)
				}
			}
		})
	}
}

func TestNetworkFilesSkippedWhenEmpty(t *testing.T) {
	o := base()
	o.HostsPath = "/c/hosts"
	s := mustBuild(t, o)
	want := append(slices.Clone(defaultDestinations), "/etc/hosts")
	if got := destinations(s.Mounts); !slices.Equal(got, want) {
		t.Fatalf("destinations %q, want %q", got, want)
	}
	o.HostsPath = "relative/hosts"
	if _, err := Build(o); err == nil {
		t.Fatal("a relative hosts file was accepted")
	}
}

func TestReadOnlyRootMounts(t *testing.T) {
	o := base()
	o.ReadOnly = true
	o.Binds = strs("/srv:/data")
	o.Tmpfs = strs("/tmp")
	s := mustBuild(t, o)
	hasRO := map[string]bool{
		"/proc": false, "/dev": false, "/dev/pts": false, "/dev/mqueue": false, "/dev/shm": false,
		"/sys": true, "/sys/fs/cgroup": true,
		"/data": false, "/tmp": false, // user mounts keep their own mode
	}
	for dst, want := range hasRO {
		m := findMount(t, s.Mounts, dst)
		if got := slices.Contains(m.Options, "ro"); got != want {
			t.Errorf("%s: ro=%v, want %v (options %q)", dst, got, want, m.Options)
		}
		if n := len(slices.DeleteFunc(slices.Clone(m.Options), func(o string) bool { return o != "ro" })); n > 1 {
			t.Errorf("%s: ro given %d times", dst, n)
		}
	}
}

func TestPrivilegedMounts(t *testing.T) {
	for _, readOnly := range []bool{false, true} {
		o := base()
		o.Privileged, o.ReadOnly = true, readOnly
		s := mustBuild(t, o)
		for _, dst := range strs("/sys", "/sys/fs/cgroup") {
			if m := findMount(t, s.Mounts, dst); slices.Contains(m.Options, "ro") {
				t.Errorf("privileged (read-only=%v): %s is read-only: %q", readOnly, dst, m.Options)
			}
		}
	}
}

func TestBindMounts(t *testing.T) {
	tests := []struct {
		bind        string
		want        specs.Mount
		propagation string
	}{
		{"/srv/data:/data", specs.Mount{Destination: "/data", Type: "bind", Source: "/srv/data", Options: strs("rbind", "rprivate")}, "rprivate"},
		{"/srv/data:/data:rw", specs.Mount{Destination: "/data", Type: "bind", Source: "/srv/data", Options: strs("rbind", "rprivate")}, "rprivate"},
		{"/srv/data:/data:ro", specs.Mount{Destination: "/data", Type: "bind", Source: "/srv/data", Options: strs("rbind", "ro", "rprivate")}, "rprivate"},
		{"/srv//data/:/data/x/../y/", specs.Mount{Destination: "/data/y", Type: "bind", Source: "/srv/data", Options: strs("rbind", "rprivate")}, "rprivate"},
		{"/srv:/data:ro,private", specs.Mount{Destination: "/data", Type: "bind", Source: "/srv", Options: strs("rbind", "ro", "private")}, "rprivate"},
		{"/srv:/data:rslave", specs.Mount{Destination: "/data", Type: "bind", Source: "/srv", Options: strs("rbind", "rslave")}, "rslave"},
		{"/srv:/data:slave,ro", specs.Mount{Destination: "/data", Type: "bind", Source: "/srv", Options: strs("rbind", "ro", "slave")}, "rslave"},
		{"/srv:/data:rshared", specs.Mount{Destination: "/data", Type: "bind", Source: "/srv", Options: strs("rbind", "rshared")}, "shared"},
		{"/srv:/data:shared", specs.Mount{Destination: "/data", Type: "bind", Source: "/srv", Options: strs("rbind", "shared")}, "shared"},
		{"/srv:/data:z", specs.Mount{Destination: "/data", Type: "bind", Source: "/srv", Options: strs("rbind", "rprivate")}, "rprivate"},
		{"/srv:/data:ro,Z", specs.Mount{Destination: "/data", Type: "bind", Source: "/srv", Options: strs("rbind", "ro", "rprivate")}, "rprivate"},
		{"/:/host:ro", specs.Mount{Destination: "/host", Type: "bind", Source: "/", Options: strs("rbind", "ro", "rprivate")}, "rprivate"},
	}
	for _, tc := range tests {
		o := base()
		o.Binds = strs(tc.bind)
		s, err := Build(o)
		if err != nil {
			t.Errorf("-v %s: %v", tc.bind, err)
			continue
		}
		if got := s.Mounts[len(s.Mounts)-1]; !reflect.DeepEqual(got, tc.want) {
			t.Errorf("-v %s: got %+v, want %+v", tc.bind, got, tc.want)
		}
		if s.Linux.RootfsPropagation != tc.propagation {
			t.Errorf("-v %s: root propagation %q, want %q", tc.bind, s.Linux.RootfsPropagation, tc.propagation)
		}
	}
}

func TestSharedBindWinsOverSlave(t *testing.T) {
	for _, binds := range [][]string{
		strs("/a:/a:rshared", "/b:/b:rslave"),
		strs("/b:/b:rslave", "/a:/a:rshared"),
	} {
		o := base()
		o.Binds = binds
		if s := mustBuild(t, o); s.Linux.RootfsPropagation != "shared" {
			t.Errorf("%q: root propagation %q, want shared", binds, s.Linux.RootfsPropagation)
		}
	}
}

func TestMountErrors(t *testing.T) {
	tests := []struct {
		binds, tmpfs []string
		want         string
	}{
		{binds: strs("relative:/data"), want: "invalid volume specification: 'relative:/data'"},
		{binds: strs("named-volume:/data"), want: "invalid volume specification: 'named-volume:/data'"},
		{binds: strs("/data"), want: "invalid volume specification: '/data'"},
		{binds: strs(""), want: "invalid volume specification: ''"},
		{binds: strs(":/data"), want: "invalid volume specification: ':/data'"},
		{binds: strs("/srv:"), want: "invalid volume specification: '/srv:'"},
		{binds: strs("/a:/b:ro:extra"), want: "invalid volume specification: '/a:/b:ro:extra'"},
		{binds: strs("/srv:data"), want: `invalid volume specification: '/srv:data': invalid mount config for type "bind": invalid mount path: 'data' mount path must be absolute`},
		{binds: strs("/srv:/"), want: `invalid volume specification: '/srv:/': invalid mount config for type "bind": invalid specification: destination can't be '/'`},
		{binds: strs("/srv:/a/.."), want: `invalid volume specification: '/srv:/a/..': invalid mount config for type "bind": invalid specification: destination can't be '/'`},
		{binds: strs("/srv:/data:xx"), want: "invalid mode: xx"},
		{binds: strs("/srv:/data:"), want: "invalid mode: "},
		{binds: strs("/srv:/data:ro,rw"), want: "invalid mode: ro,rw"},
		{binds: strs("/srv:/data:private,rshared"), want: "invalid mode: private,rshared"},
		{binds: strs("/srv:/data:z,Z"), want: "invalid mode: z,Z"},
		{binds: strs("/srv:/data:nocopy"), want: "invalid mode: nocopy"},
		{binds: strs("/a:/data", "/b:/data/"), want: "Duplicate mount point: /data"},
		{binds: strs("/a:/data"), tmpfs: strs("/data"), want: "Duplicate mount point: /data"},
		{tmpfs: strs("run"), want: "invalid mount path: 'run' mount path must be absolute"},
		{tmpfs: strs(""), want: "invalid mount path: '' mount path must be absolute"},
		{tmpfs: strs(":size=1m"), want: "invalid mount path: '' mount path must be absolute"},
		{tmpfs: strs("/"), want: "invalid specification: destination can't be '/'"},
		{tmpfs: strs("/run:bogus"), want: `--tmpfs /run:bogus: invalid tmpfs option "bogus"`},
		{tmpfs: strs("/run:size=1m,"), want: `--tmpfs /run:size=1m,: invalid tmpfs option ""`},
		{tmpfs: strs("/run:bind"), want: `--tmpfs /run:bind: invalid tmpfs option "bind"`},
		{tmpfs: strs("/run:color=red"), want: `--tmpfs /run:color=red: invalid tmpfs option "color=red"`},
		{tmpfs: strs("/proc"), want: `mount destination "/proc" cannot be mounted because it is not of type proc`},
		{binds: strs("/srv:/proc"), want: `mount destination "/proc" cannot be mounted because it is not of type proc`},
		{binds: strs("/srv:/proc/sys"), want: `mount destination "/proc/sys" cannot be mounted because it is inside /proc`},
		{tmpfs: strs("/proc/sys"), want: `mount destination "/proc/sys" cannot be mounted because it is inside /proc`},
		{binds: strs("/srv:/proc/sys/kernel/"), want: `mount destination "/proc/sys/kernel" cannot be mounted because it is inside /proc`},
		{binds: strs("/srv:/proc/./kcore"), want: `mount destination "/proc/kcore" cannot be mounted because it is inside /proc`},
		{binds: strs("/srv:/proc/1/../sysrq-trigger"), want: `mount destination "/proc/sysrq-trigger" cannot be mounted because it is inside /proc`},
		{binds: strs("/proc/sys:/proc/sys"), want: `mount destination "/proc/sys" cannot be mounted because it is inside /proc`},
		{tmpfs: strs("/sys/fs/cgroup"), want: `mount destination "/sys/fs/cgroup" cannot be mounted because it is not of type cgroup`},
		{binds: strs("/srv:/sys/fs/cgroup"), want: `mount destination "/sys/fs/cgroup" cannot be mounted because it is not of type cgroup`},
		{binds: strs("/srv:/sys/fs/cgroup/memory"), want: `mount destination "/sys/fs/cgroup/memory" cannot be mounted because it is inside /sys/fs/cgroup`},
		{tmpfs: strs("/sys/fs/cgroup/x:size=1m"), want: `mount destination "/sys/fs/cgroup/x" cannot be mounted because it is inside /sys/fs/cgroup`},
	}
	for _, tc := range tests {
		o := base()
		o.Binds, o.Tmpfs = tc.binds, tc.tmpfs
		_, err := Build(o)
		if err == nil || err.Error() != tc.want {
			t.Errorf("binds %q tmpfs %q: got %v, want %q", tc.binds, tc.tmpfs, err, tc.want)
		}
	}
}

// The mounts runc lets over /proc: the lxcfs files, and the host's /proc itself.
func TestProcMountsAllowed(t *testing.T) {
	for _, tc := range []struct{ binds, tmpfs []string }{
		{binds: strs("/var/lib/lxcfs/proc/meminfo:/proc/meminfo:ro")},
		{binds: strs("/var/lib/lxcfs/proc/cpuinfo:/proc/cpuinfo", "/x/uptime:/proc/uptime")},
		{binds: strs("/proc:/proc")},
		{binds: strs("/sys/fs/cgroup:/sys/fs/cgroup:ro")},
		{binds: strs("/srv:/procx", "/srv:/sys/fs/cgroupx")},
		{tmpfs: strs("/proc2", "/sys/fs/other")},
	} {
		o := base()
		o.Binds, o.Tmpfs = tc.binds, tc.tmpfs
		if _, err := Build(o); err != nil {
			t.Errorf("binds %q tmpfs %q: %v", tc.binds, tc.tmpfs, err)
		}
	}
}

func TestTmpfsMounts(t *testing.T) {
	tests := []struct {
		tmpfs string
		dst   string
		opts  []string
	}{
		{"/run", "/run", strs("noexec", "nosuid", "nodev", "rprivate")},
		{"/run:", "/run", strs("noexec", "nosuid", "nodev", "rprivate")},
		{"/run:size=64m", "/run", strs("noexec", "nosuid", "nodev", "rprivate", "size=64m")},
		{"/run:exec", "/run", strs("nosuid", "nodev", "rprivate", "exec")},
		{"/run:rw,exec,suid,dev", "/run", strs("rprivate", "rw", "exec", "suid", "dev")},
		{"/run:size=1m,mode=1777,size=2m", "/run", strs("noexec", "nosuid", "nodev", "rprivate", "mode=1777", "size=2m")},
		{"/run:ro,uid=1000,gid=1000", "/run", strs("noexec", "nosuid", "nodev", "rprivate", "ro", "uid=1000", "gid=1000")},
		{"/run:defaults,noatime,nr_inodes=100", "/run", strs("noexec", "nosuid", "nodev", "rprivate", "noatime", "nr_inodes=100")},
		{"/run:shared", "/run", strs("noexec", "nosuid", "nodev", "shared")},
		{"/run/../var//tmp/", "/var/tmp", strs("noexec", "nosuid", "nodev", "rprivate")},
	}
	for _, tc := range tests {
		o := base()
		o.Tmpfs = strs(tc.tmpfs)
		s, err := Build(o)
		if err != nil {
			t.Errorf("--tmpfs %q: %v", tc.tmpfs, err)
			continue
		}
		want := specs.Mount{Destination: tc.dst, Type: "tmpfs", Source: "tmpfs", Options: tc.opts}
		if got := s.Mounts[len(s.Mounts)-1]; !reflect.DeepEqual(got, want) {
			t.Errorf("--tmpfs %q: got %+v, want %+v", tc.tmpfs, got, want)
		}
	}
}

func TestTmpfsLaterWins(t *testing.T) {
	o := base()
	o.Tmpfs = strs("/run:size=1m", "/tmp", "/run:size=2m")
	s := mustBuild(t, o)
	want := append(slices.Clone(defaultDestinations), "/run", "/tmp")
	if got := destinations(s.Mounts); !slices.Equal(got, want) {
		t.Fatalf("destinations %q, want %q", got, want)
	}
	if m := findMount(t, s.Mounts, "/run"); !slices.Contains(m.Options, "size=2m") || slices.Contains(m.Options, "size=1m") {
		t.Fatalf("/run options %q, want the later size=2m only", m.Options)
	}
}

func TestUserMountsReplaceDefaults(t *testing.T) {
	tests := []struct {
		name         string
		binds, tmpfs []string
		hosts        bool
		want         []string // all destinations, in order
		check        func(t *testing.T, ms []specs.Mount)
	}{
		{
			name:  "tmpfs at /dev/shm",
			tmpfs: strs("/dev/shm:size=1g"),
			want:  strs("/proc", "/dev", "/dev/pts", "/sys", "/sys/fs/cgroup", "/dev/mqueue", "/dev/shm"),
			check: func(t *testing.T, ms []specs.Mount) {
				if m := ms[len(ms)-1]; m.Source != "tmpfs" || !slices.Contains(m.Options, "size=1g") {
					t.Errorf("/dev/shm is %+v, want the user's tmpfs", m)
				}
			},
		},
		{
			name:  "bind at /dev replaces everything under /dev",
			binds: strs("/dev:/dev"),
			want:  strs("/proc", "/sys", "/sys/fs/cgroup", "/dev"),
		},
		{
			name:  "tmpfs at /dev",
			tmpfs: strs("/dev"),
			want:  strs("/proc", "/sys", "/sys/fs/cgroup", "/dev"),
		},
		{
			name:  "bind at /sys/fs/cgroup",
			binds: strs("/sys/fs/cgroup:/sys/fs/cgroup:ro"),
			want:  strs("/proc", "/dev", "/dev/pts", "/sys", "/dev/mqueue", "/dev/shm", "/sys/fs/cgroup"),
		},
		{
			name:  "bind at /etc/hosts replaces the network file",
			binds: strs("/my/hosts:/etc/hosts:ro"),
			hosts: true,
			want:  append(slices.Clone(defaultDestinations), "/etc/resolv.conf", "/etc/hostname", "/etc/hosts"),
			check: func(t *testing.T, ms []specs.Mount) {
				var n int
				for _, m := range ms {
					if m.Destination == "/etc/hosts" {
						n++
						if m.Source != "/my/hosts" {
							t.Errorf("/etc/hosts comes from %s, want the user's /my/hosts", m.Source)
						}
					}
				}
				if n != 1 {
					t.Errorf("/etc/hosts mounted %d times", n)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := base()
			o.Binds, o.Tmpfs = tc.binds, tc.tmpfs
			if tc.hosts {
				o.ResolvConfPath, o.HostnamePath, o.HostsPath = "/c/resolv.conf", "/c/hostname", "/c/hosts"
			}
			s := mustBuild(t, o)
			if got := destinations(s.Mounts); !slices.Equal(got, tc.want) {
				t.Fatalf("destinations %q, want %q", got, tc.want)
			}
			if tc.check != nil {
				tc.check(t, s.Mounts)
			}
		})
	}
}

// TestMountOrder checks that a parent directory is always mounted before
// what lies below it, whatever order the flags came in.
func TestMountOrder(t *testing.T) {
	o := base()
	o.HostsPath, o.HostnamePath, o.ResolvConfPath = "/c/hosts", "/c/hostname", "/c/resolv.conf"
	o.Binds = strs("/x:/a/b/c", "/y:/data", "/z:/a/b")
	o.Tmpfs = strs("/a", "/etc")
	s := mustBuild(t, o)
	want := append(slices.Clone(defaultDestinations),
		"/data", "/a", "/etc", // depth 1: binds, then tmpfs, each in the order given
		"/etc/resolv.conf", "/etc/hostname", "/etc/hosts", "/a/b", // depth 2: network files first
		"/a/b/c")
	if got := destinations(s.Mounts); !slices.Equal(got, want) {
		t.Fatalf("destinations\n got %q\nwant %q", got, want)
	}
}

func TestInitMount(t *testing.T) {
	o := base()
	o.Init, o.InitPath = true, "/usr/libexec/geedocker/tini"
	o.Binds = strs("/srv:/data")
	s := mustBuild(t, o)
	want := specs.Mount{Destination: "/sbin/docker-init", Type: "bind", Source: "/usr/libexec/geedocker/tini", Options: strs("bind", "ro")}
	if got := s.Mounts[len(s.Mounts)-1]; !reflect.DeepEqual(got, want) {
		t.Fatalf("last mount %+v, want %+v", got, want)
	}
	if s.Process.Args[0] != want.Destination {
		t.Fatalf("process 1 is %q, want the init at %s", s.Process.Args[0], want.Destination)
	}

	for _, p := range strs("", "tini") {
		o.InitPath = p
		if _, err := Build(o); err == nil {
			t.Errorf("--init with init path %q accepted", p)
		}
	}

	o = base()
	o.InitPath = "/usr/bin/tini" // given but not asked for
	s = mustBuild(t, o)
	if slices.Contains(destinations(s.Mounts), "/sbin/docker-init") || s.Process.Args[0] != "sh" {
		t.Fatal("init mounted without --init")
	}
}
