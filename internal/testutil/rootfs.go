package testutil

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// RequireEnv names the environment variable that turns "skip, the tool is
// missing" into a test failure. CI sets it to 1.
const RequireEnv = "GEEDOCKER_REQUIRE_REGISTRY"

// FixtureTime is the modification time of every entry in the tars built here
// and the creation time of every image, so that builds are reproducible.
var FixtureTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// busyboxPath is the host busybox the rootfs is built from (a variable so the
// tests can point it at a missing file).
var busyboxPath = "/bin/busybox"

// needTool skips the test when path does not exist, or fails it when
// RequireEnv is 1. pkg names the Debian package that provides it.
func needTool(t testing.TB, path, pkg string) {
	t.Helper()
	if _, err := os.Stat(path); err == nil {
		return
	}
	msg := fmt.Sprintf("%s not found (install the Debian package %s, or run scripts/test-deps.sh)", path, pkg)
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("%s; %s=1 makes this a failure", msg, RequireEnv)
	}
	t.Skip(msg)
}

// tarEntry is one member of a tar built by writeTar; body is used for
// regular files only.
type tarEntry struct {
	hdr  tar.Header
	body []byte
}

func dirEntry(name string, mode int64) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode}}
}

func fileEntry(name string, mode int64, body []byte) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(body))}, body: body}
}

func symlinkEntry(name, target string) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777}}
}

func hardlinkEntry(name, target string) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: tar.TypeLink, Name: name, Linkname: target, Mode: 0o644}}
}

func owned(e tarEntry, uid, gid int) tarEntry {
	e.hdr.Uid, e.hdr.Gid = uid, gid
	return e
}

// writeTar writes the entries in the order given, with FixtureTime as every
// modification time.
func writeTar(entries []tarEntry) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := e.hdr
		hdr.ModTime = FixtureTime
		if err := tw.WriteHeader(&hdr); err != nil {
			return nil, fmt.Errorf("writing tar header %q: %w", hdr.Name, err)
		}
		if hdr.Typeflag == tar.TypeReg {
			if _, err := tw.Write(e.body); err != nil {
				return nil, fmt.Errorf("writing tar entry %q: %w", hdr.Name, err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("closing tar: %w", err)
	}
	return buf.Bytes(), nil
}

// sortedTar writes the entries sorted by name; a parent directory sorts before
// everything in it.
func sortedTar(entries []tarEntry) ([]byte, error) {
	sort.Slice(entries, func(i, j int) bool { return entries[i].hdr.Name < entries[j].hdr.Name })
	return writeTar(entries)
}

// The users and groups of the busybox rootfs.
const (
	busyboxPasswd = "root:x:0:0:root:/root:/bin/sh\n" +
		"nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n" +
		"app:x:1000:1000:app:/home/app:/bin/sh\n"
	busyboxGroup = "root:x:0:\n" +
		"nogroup:x:65534:\n" +
		"app:x:1000:\n" +
		"extra:x:1001:app\n"
)

var busyboxRootfs = sync.OnceValues(func() ([]byte, error) { return buildBusyboxRootfs(busyboxPath) })

// BusyboxRootfsTar returns an uncompressed tar of a minimal root filesystem
// built from the host's static /bin/busybox:
//
//	/bin/busybox and a symlink bin/<applet> -> busybox for every applet (sh among them)
//	/etc/passwd  root (0), nobody (65534), app (1000:1000, home /home/app)
//	/etc/group   root, nogroup, app (1000), extra (1001, member app)
//	/etc/hostname, /etc/hosts, /etc/resolv.conf
//	/tmp (1777), /root (0700), /home/app (owned by 1000:1000), /dev, /proc, /sys
//
// Entries are sorted, owned by root unless said, and dated FixtureTime, so the
// bytes depend only on the busybox binary. The tar is built once per test
// binary; callers must not modify the returned slice. The test is skipped
// when busybox is missing (see RequireEnv).
func BusyboxRootfsTar(t testing.TB) []byte {
	t.Helper()
	needTool(t, busyboxPath, "busybox-static")
	b, err := busyboxRootfs()
	if err != nil {
		t.Fatalf("building busybox rootfs: %v", err)
	}
	return b
}

func buildBusyboxRootfs(busybox string) ([]byte, error) {
	if err := checkStatic(busybox); err != nil {
		return nil, err
	}
	bin, err := os.ReadFile(busybox)
	if err != nil {
		return nil, fmt.Errorf("reading busybox: %w", err)
	}
	out, err := exec.Command(busybox, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("listing busybox applets with %s --list: %w", busybox, err)
	}
	entries := []tarEntry{
		dirEntry("bin", 0o755),
		dirEntry("dev", 0o755),
		dirEntry("etc", 0o755),
		dirEntry("home", 0o755),
		owned(dirEntry("home/app", 0o755), 1000, 1000),
		dirEntry("proc", 0o555),
		dirEntry("root", 0o700),
		dirEntry("sys", 0o555),
		dirEntry("tmp", 0o1777),
		fileEntry("bin/busybox", 0o755, bin),
		fileEntry("etc/passwd", 0o644, []byte(busyboxPasswd)),
		fileEntry("etc/group", 0o644, []byte(busyboxGroup)),
		fileEntry("etc/hostname", 0o644, []byte("busybox\n")),
		fileEntry("etc/hosts", 0o644, []byte("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")),
		fileEntry("etc/resolv.conf", 0o644, nil),
	}
	haveSh := false
	for _, applet := range strings.Fields(string(out)) {
		if applet == "busybox" || strings.Contains(applet, "/") {
			continue
		}
		haveSh = haveSh || applet == "sh"
		entries = append(entries, symlinkEntry("bin/"+applet, "busybox"))
	}
	if !haveSh {
		return nil, fmt.Errorf("%s --list has no sh applet", busybox)
	}
	return sortedTar(entries)
}

// checkStatic returns an error when path is an ELF with a program
// interpreter: a dynamically linked busybox would not run in the image.
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("reading %s as ELF: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked; install busybox-static", path)
		}
	}
	return nil
}
