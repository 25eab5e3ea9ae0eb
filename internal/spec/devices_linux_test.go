package spec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestDevicesFromPath(t *testing.T) {
	dir := t.TempDir()
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "zero-link")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		host, ctr string
		want      string // "path type major:minor" of each node, or the error
	}{
		{"/dev/null", "/dev/null", "/dev/null c 1:3"},
		{"/dev/zero", "/dev/z", "/dev/z c 1:5"},
		{filepath.Join(dir, "zero-link"), "/dev/z", "/dev/z c 1:5"},
		{filepath.Join(dir, "file"), "/dev/f", "not a device node"},
		{filepath.Join(dir, "empty"), "/dev/e", "not a device node"},
		{filepath.Join(dir, "missing"), "/dev/m", "no such file or directory"},
	} {
		devs, err := devicesFromPath(tt.host, tt.ctr)
		got := ""
		if err != nil {
			got = err.Error()
		}
		var nodes []string
		for _, d := range devs {
			nodes = append(nodes, d.Path+" "+d.Type+" "+itoa(d.Major)+":"+itoa(d.Minor))
		}
		got += strings.Join(nodes, " ")
		if got != tt.want {
			t.Errorf("devicesFromPath(%s, %s) = %q, want %q", tt.host, tt.ctr, got, tt.want)
		}
	}
	var st unix.Stat_t
	if err := unix.Stat("/dev/null", &st); err != nil {
		t.Fatal(err)
	}
	devs, _ := devicesFromPath("/dev/null", "/dev/null")
	if len(devs) != 1 || uint32(*devs[0].FileMode) != st.Mode&0o777 || *devs[0].UID != st.Uid || *devs[0].GID != st.Gid {
		t.Errorf("/dev/null: mode and owner %+v, want the host's %o %d:%d", devs, st.Mode&0o777, st.Uid, st.Gid)
	}
}

// A directory gives every device node below it, at the same place below
// the container path; other files are skipped.
func TestDevicesFromPathDirectory(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: makes device nodes (mknod) in a temp dir")
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, dev := range map[string][3]uint32{
		"a": {unix.S_IFCHR | 0o620, 1, 3}, "sub/b": {unix.S_IFBLK | 0o600, 8, 0},
	} {
		if err := unix.Mknod(filepath.Join(dir, name), dev[0], int(unix.Mkdev(dev[1], dev[2]))); err != nil {
			t.Fatal(err)
		}
		if err := unix.Chmod(filepath.Join(dir, name), dev[0]&0o777); err != nil { // past the umask
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "sub", "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	devs, err := devicesFromPath(dir, "/dev/x")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range devs {
		got = append(got, d.Path+" "+d.Type+" "+itoa(d.Major)+":"+itoa(d.Minor)+" "+d.FileMode.String())
	}
	want := "/dev/x/a c 1:3 -rw--w----,/dev/x/sub/b b 8:0 -rw-------"
	if strings.Join(got, ",") != want {
		t.Errorf("nodes %q, want %q", strings.Join(got, ","), want)
	}
}
