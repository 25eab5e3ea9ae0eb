//go:build linux

package archive

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// breakoutEnv names things outside the layer root that a hostile layer
// aims at. Every escape in these tests points into the sentinel directory
// (never at the host's own files), so an escape shows up as a change there.
type breakoutEnv struct {
	out    string // the sentinel directory as a relative path: its absolute path without the leading "/"
	up     string // enough "../" to climb from anywhere in the root to "/"
	victim string // absolute path of a file beside the root
}

type breakoutCase struct {
	name    string
	root    bool // needs root (device nodes, whiteouts)
	entries func(e breakoutEnv) []tarEntry
	// wantErr is a substring of Apply's error; "{out}" stands for e.out.
	// Empty means Apply must succeed and check must pass.
	wantErr string
	check   func(t *testing.T, root string, e breakoutEnv)
}

// breakoutCases returns every case; FuzzApplyEntries seeds its corpus
// with them too.
func breakoutCases() []breakoutCase {
	var cases []breakoutCase
	cases = append(cases, climbingNames...)
	cases = append(cases, symlinkWrites...)
	cases = append(cases, hardlinkCases...)
	cases = append(cases, whiteoutEscapes...)
	return cases
}

func TestBreakouts(t *testing.T) {
	for _, tc := range breakoutCases() {
		t.Run(tc.name, func(t *testing.T) {
			if tc.root {
				needRoot(t, "creates device nodes or whiteouts")
			}
			sentinel := t.TempDir()
			root := filepath.Join(sentinel, "root")
			mustMkdir(t, root, 0o755)
			victim := filepath.Join(sentinel, "victim")
			mustWrite(t, victim, "precious", 0o400)
			mustMkdir(t, filepath.Join(sentinel, "victimdir"), 0o755)
			e := breakoutEnv{
				out:    strings.TrimPrefix(sentinel, "/"),
				up:     strings.Repeat("../", strings.Count(sentinel, "/")+8),
				victim: victim,
			}
			before := snapshot(t, sentinel, root)

			_, err := Apply(context.Background(), root, bytes.NewReader(makeTar(t, tc.entries(e)...)), Options{})

			for _, d := range diffSnapshots(before, snapshot(t, sentinel, root)) {
				t.Errorf("outside the layer root: %s", d)
			}
			if tc.wantErr != "" {
				want := strings.ReplaceAll(tc.wantErr, "{out}", e.out)
				if err == nil {
					t.Fatalf("Apply succeeded, want an error containing %q", want)
				}
				if !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), `layer entry "`) {
					t.Fatalf("Apply error = %q, want `layer entry \"...\": ...` containing %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			tc.check(t, root, e)
		})
	}
}

// Names that climb out of the root lexically.
var climbingNames = []breakoutCase{
	{
		name:    "dotdot file",
		entries: func(e breakoutEnv) []tarEntry { return []tarEntry{file("../victim", "owned")} },
		wantErr: `layer entry "../victim": path escapes the layer root`,
	},
	{
		name:    "dotdot after a directory",
		entries: func(e breakoutEnv) []tarEntry { return []tarEntry{dir("a"), file("a/../../victim", "owned")} },
		wantErr: `layer entry "a/../../victim": path escapes the layer root`,
	},
	{
		name:    "many dotdots",
		entries: func(e breakoutEnv) []tarEntry { return []tarEntry{file("a/b/../../../../../../victim", "owned")} },
		wantErr: `path escapes the layer root`,
	},
	{
		name:    "dot then dotdot",
		entries: func(e breakoutEnv) []tarEntry { return []tarEntry{file("./../victim", "owned")} },
		wantErr: `layer entry "./../victim": path escapes the layer root`,
	},
	{
		name:    "dotdot directory",
		entries: func(e breakoutEnv) []tarEntry { return []tarEntry{dir("../victimdir/sub")} },
		wantErr: `path escapes the layer root`,
	},
	{
		name:    "the parent itself",
		entries: func(e breakoutEnv) []tarEntry { return []tarEntry{dir("..")} },
		wantErr: `layer entry "..": path escapes the layer root`,
	},
	{
		name:    "dotdot symlink",
		entries: func(e breakoutEnv) []tarEntry { return []tarEntry{symlink("../victimdir/l", "/")} },
		wantErr: `path escapes the layer root`,
	},
	{
		name:    "dotdot hard link name",
		entries: func(e breakoutEnv) []tarEntry { return []tarEntry{file("f", "x"), hardlink("../victimdir/h", "f")} },
		wantErr: `path escapes the layer root`,
	},
	{
		name:    "dotdot fifo",
		entries: func(e breakoutEnv) []tarEntry { return []tarEntry{fifo("../victimdir/p")} },
		wantErr: `path escapes the layer root`,
	},
	{
		name:    "symlink named dotdot",
		entries: func(e breakoutEnv) []tarEntry { return []tarEntry{symlink("..", "/")} },
		wantErr: `path escapes the layer root`,
	},
	{
		name:    "file named dot replaces the root",
		entries: func(e breakoutEnv) []tarEntry { return []tarEntry{file(".", "x")} },
		wantErr: `layer entry ".": cannot replace the layer root`,
	},
	{
		name:    "symlink named slash replaces the root",
		entries: func(e breakoutEnv) []tarEntry { return []tarEntry{symlink("/", "/"+e.out)} },
		wantErr: `layer entry "/": cannot replace the layer root`,
	},
	{
		name:    "empty name",
		entries: func(e breakoutEnv) []tarEntry { return []tarEntry{symlink("", "/"+e.out)} },
		wantErr: `layer entry "": empty entry name`,
	},
	{
		name:    "rooted dotdot lands inside",
		entries: func(e breakoutEnv) []tarEntry { return []tarEntry{file("/../victim", "inside")} },
		check: func(t *testing.T, root string, e breakoutEnv) {
			wantContent(t, filepath.Join(root, "victim"), "inside")
		},
	},
	{
		name:    "rooted deep dotdot lands inside",
		entries: func(e breakoutEnv) []tarEntry { return []tarEntry{file("/a/../../../victim", "inside")} },
		check: func(t *testing.T, root string, e breakoutEnv) {
			wantContent(t, filepath.Join(root, "victim"), "inside")
		},
	},
	{
		name:    "absolute name of the victim lands inside",
		entries: func(e breakoutEnv) []tarEntry { return []tarEntry{file(e.victim, "inside")} },
		check: func(t *testing.T, root string, e breakoutEnv) {
			wantContent(t, filepath.Join(root, e.victim), "inside")
		},
	},
	{
		name:    "double slash lands inside",
		entries: func(e breakoutEnv) []tarEntry { return []tarEntry{file("//victim", "inside")} },
		check: func(t *testing.T, root string, e breakoutEnv) {
			wantContent(t, filepath.Join(root, "victim"), "inside")
		},
	},
	{
		name:    "dotdot inside the root is fine",
		entries: func(e breakoutEnv) []tarEntry { return []tarEntry{file("a/b/../../victim", "inside")} },
		check: func(t *testing.T, root string, e breakoutEnv) {
			wantContent(t, filepath.Join(root, "victim"), "inside")
		},
	},
}

// A symbolic link, then an entry written through it.
var symlinkWrites = []breakoutCase{
	{
		name: "absolute symlink",
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{dir(e.out), symlink("l", "/"+e.out), file("l/escaped", "inside")}
		},
		check: func(t *testing.T, root string, e breakoutEnv) {
			wantContent(t, filepath.Join(root, e.out, "escaped"), "inside")
		},
	},
	{
		name: "absolute symlink to a directory missing in the root",
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{symlink("l", "/"+e.out), file("l/escaped", "owned")}
		},
		wantErr: `layer entry "l/escaped": opening parent directory`,
	},
	{
		name: "relative symlink climbing out",
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{dir(e.out), symlink("l", e.up+e.out), file("l/escaped", "inside")}
		},
		check: func(t *testing.T, root string, e breakoutEnv) {
			wantContent(t, filepath.Join(root, e.out, "escaped"), "inside")
		},
	},
	{
		name: "relative symlink climbing out from a subdirectory",
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{dir(e.out), dir("a/b"), symlink("a/b/l", "../../"+e.up+e.out), file("a/b/l/escaped", "inside")}
		},
		check: func(t *testing.T, root string, e breakoutEnv) {
			wantContent(t, filepath.Join(root, e.out, "escaped"), "inside")
		},
	},
	{
		name: "relative symlink climbing out through a name that goes up and down",
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{dir(e.out), dir("down"), symlink("l", "down/"+e.up+e.out), file("l/escaped", "inside")}
		},
		check: func(t *testing.T, root string, e breakoutEnv) {
			wantContent(t, filepath.Join(root, e.out, "escaped"), "inside")
		},
	},
	{
		name: "two absolute hops",
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{dir(e.out), symlink("a", "/b"), symlink("b", "/"+e.out), file("a/escaped", "inside")}
		},
		check: func(t *testing.T, root string, e breakoutEnv) {
			wantContent(t, filepath.Join(root, e.out, "escaped"), "inside")
		},
	},
	{
		name: "two relative hops",
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{dir(e.out), dir("d"), symlink("d/a", "../b"), symlink("b", e.up+e.out), file("d/a/escaped", "inside")}
		},
		check: func(t *testing.T, root string, e breakoutEnv) {
			wantContent(t, filepath.Join(root, e.out, "escaped"), "inside")
		},
	},
	{
		name: "three hops mixing absolute and relative",
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{dir(e.out), symlink("a", "b"), symlink("b", "/c"), symlink("c", e.up+e.out), file("a/escaped", "inside")}
		},
		check: func(t *testing.T, root string, e breakoutEnv) {
			wantContent(t, filepath.Join(root, e.out, "escaped"), "inside")
		},
	},
	{
		name: "symlink to dotdot",
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{symlink("l", ".."), file("l/victim", "inside")}
		},
		check: func(t *testing.T, root string, e breakoutEnv) {
			wantContent(t, filepath.Join(root, "victim"), "inside")
		},
	},
	{
		name: "symlink to slash",
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{symlink("l", "/"), file("l/victim", "inside")}
		},
		check: func(t *testing.T, root string, e breakoutEnv) {
			wantContent(t, filepath.Join(root, "victim"), "inside")
		},
	},
	{
		name: "symlinked parent of a new subdirectory",
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{dir(e.out), symlink("l", "/"+e.out), dir("l/sub"), file("l/sub/escaped", "inside")}
		},
		check: func(t *testing.T, root string, e breakoutEnv) {
			wantContent(t, filepath.Join(root, e.out, "sub", "escaped"), "inside")
		},
	},
	{
		name: "implicit directory through a symlink",
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{dir(e.out), symlink("l", e.up+e.out), file("l/x/y/escaped", "inside")}
		},
		check: func(t *testing.T, root string, e breakoutEnv) {
			wantContent(t, filepath.Join(root, e.out, "x", "y", "escaped"), "inside")
		},
	},
	{
		name: "symlink then a symlink through it",
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{dir(e.out), symlink("l", "/"+e.out), symlink("l/s", e.victim)}
		},
		check: func(t *testing.T, root string, e breakoutEnv) {
			wantType(t, filepath.Join(root, e.out, "s"), unix.S_IFLNK)
		},
	},
	{
		name: "symlink then a fifo through it",
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{dir(e.out), symlink("l", e.up+e.out), fifo("l/p")}
		},
		check: func(t *testing.T, root string, e breakoutEnv) {
			wantType(t, filepath.Join(root, e.out, "p"), unix.S_IFIFO)
		},
	},
	{
		name: "symlink then a device through it",
		root: true,
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{dir(e.out), symlink("l", e.up+e.out), device('3', "l/null", 1, 3)}
		},
		check: func(t *testing.T, root string, e breakoutEnv) {
			wantType(t, filepath.Join(root, e.out, "null"), unix.S_IFCHR)
		},
	},
	{
		name: "symlink loop",
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{symlink("a", "b"), symlink("b", "a"), file("a/escaped", "owned")}
		},
		wantErr: `layer entry "a/escaped": opening parent directory`,
	},
	{
		name: "magic link through proc",
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{symlink("l", "/proc/self/root/"+e.out), file("l/escaped", "owned")}
		},
		wantErr: `layer entry "l/escaped": opening parent directory`,
	},
	{
		name: "file replaces an absolute symlink to the victim",
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{symlink("v", e.victim), file("v", "inside")}
		},
		check: func(t *testing.T, root string, e breakoutEnv) {
			wantContent(t, filepath.Join(root, "v"), "inside")
		},
	},
	{
		name: "file replaces a relative symlink to the victim",
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{symlink("v", e.up+e.out+"/victim"), file("v", "inside")}
		},
		check: func(t *testing.T, root string, e breakoutEnv) {
			wantContent(t, filepath.Join(root, "v"), "inside")
		},
	},
	{
		name: "empty file replaces a symlink to the victim",
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{symlink("v", e.victim), with(file("v", ""), func(h *tarHeader) { h.Mode = 0o777 })}
		},
		check: func(t *testing.T, root string, e breakoutEnv) {
			wantContent(t, filepath.Join(root, "v"), "")
		},
	},
	{
		name: "fifo replaces a symlink to the victim",
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{symlink("v", e.victim), with(fifo("v"), func(h *tarHeader) { h.Mode = 0o777 })}
		},
		check: func(t *testing.T, root string, e breakoutEnv) {
			wantType(t, filepath.Join(root, "v"), unix.S_IFIFO)
		},
	},
	{
		name: "directory replaces a symlink to a directory outside",
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{symlink("l", e.up+e.out+"/victimdir"), dir("l"), file("l/f", "inside")}
		},
		check: func(t *testing.T, root string, e breakoutEnv) {
			wantType(t, filepath.Join(root, "l"), unix.S_IFDIR)
			wantContent(t, filepath.Join(root, "l", "f"), "inside")
		},
	},
	{
		name: "symlink replaces a directory already used as a parent",
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{dir(e.out), dir("d"), file("d/a", "a"), symlink("d", e.up+e.out), file("d/b", "inside")}
		},
		check: func(t *testing.T, root string, e breakoutEnv) {
			wantType(t, filepath.Join(root, "d"), unix.S_IFLNK)
			wantContent(t, filepath.Join(root, e.out, "b"), "inside")
		},
	},
	{
		name: "symlink replaces an ancestor of a directory already used as a parent",
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{
				dir(e.out + "/y"), dir("x/y"), file("x/y/f", "f"),
				symlink("x", "/"+e.out), file("x/y/g", "inside"),
			}
		},
		check: func(t *testing.T, root string, e breakoutEnv) {
			wantContent(t, filepath.Join(root, e.out, "y", "g"), "inside")
			wantMissing(t, filepath.Join(root, e.out, "y", "f"))
		},
	},
	{
		name: "name with dotdot through a symlink is cleaned before resolving",
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{symlink("l", e.up+e.out+"/victimdir"), file("l/../victim", "inside")}
		},
		check: func(t *testing.T, root string, e breakoutEnv) {
			wantContent(t, filepath.Join(root, "victim"), "inside")
		},
	},
}

// Hard links whose target lies outside or is reached through a symlink.
var hardlinkCases = []breakoutCase{
	{
		name:    "relative target outside",
		entries: func(e breakoutEnv) []tarEntry { return []tarEntry{hardlink("h", "../victim")} },
		wantErr: `layer entry "h": hard link target "../victim": path escapes the layer root`,
	},
	{
		name:    "target climbing out after a directory",
		entries: func(e breakoutEnv) []tarEntry { return []tarEntry{dir("a"), hardlink("h", "a/../../victim")} },
		wantErr: `path escapes the layer root`,
	},
	{
		name:    "absolute target is taken inside the root",
		entries: func(e breakoutEnv) []tarEntry { return []tarEntry{hardlink("h", e.victim)} },
		wantErr: `layer entry "h": hard link target "/{out}/victim": no such file or directory`,
	},
	{
		name: "absolute target that exists inside the root",
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{file(e.victim, "inside"), hardlink("h", e.victim)}
		},
		check: func(t *testing.T, root string, e breakoutEnv) {
			a, b := lstat(t, filepath.Join(root, "h")), lstat(t, filepath.Join(root, e.victim))
			if a.Ino != b.Ino || a.Nlink != 2 {
				t.Errorf("h is inode %d (%d links), want inode %d with 2 links", a.Ino, a.Nlink, b.Ino)
			}
		},
	},
	{
		name: "through an absolute symlink to outside",
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{symlink("l", "/"+e.out), hardlink("h", "l/victim")}
		},
		wantErr: `layer entry "h": "l/victim": hard link target passes through a symbolic link`,
	},
	{
		name: "through a relative symlink to outside",
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{symlink("l", e.up+e.out), hardlink("h", "l/victim")}
		},
		wantErr: `hard link target passes through a symbolic link`,
	},
	{
		name: "through a symlink to a directory inside",
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{dir("etc"), file("etc/passwd", "x"), symlink("le", "etc"), hardlink("h", "le/passwd")}
		},
		wantErr: `hard link target passes through a symbolic link`,
	},
	{
		name: "through a symlink deeper in the target",
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{dir("a/real"), file("a/real/f", "x"), symlink("a/l", "real"), hardlink("h", "a/l/f")}
		},
		wantErr: `hard link target passes through a symbolic link`,
	},
	{
		name: "through two hops",
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{dir(e.out), symlink("a", "b"), symlink("b", e.up+e.out), hardlink("h", "a/victim")}
		},
		wantErr: `hard link target passes through a symbolic link`,
	},
	{
		name: "to a symlink that points outside links the symlink itself",
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{symlink("s", e.victim), hardlink("h", "s")}
		},
		check: func(t *testing.T, root string, e breakoutEnv) {
			st := wantType(t, filepath.Join(root, "h"), unix.S_IFLNK)
			if st.Ino != lstat(t, filepath.Join(root, "s")).Ino {
				t.Error("h is not a hard link of the symlink s")
			}
		},
	},
	{
		name: "to a symlink, then a file written at the link",
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{symlink("s", e.victim), hardlink("h", "s"), file("h", "inside")}
		},
		check: func(t *testing.T, root string, e breakoutEnv) {
			wantContent(t, filepath.Join(root, "h"), "inside")
			wantType(t, filepath.Join(root, "s"), unix.S_IFLNK)
		},
	},
	{
		name: "to a relative symlink climbing out, with a mode",
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{symlink("s", e.up+e.out+"/victim"), with(hardlink("h", "s"), func(h *tarHeader) { h.Mode = 0o4777 })}
		},
		check: func(t *testing.T, root string, e breakoutEnv) {
			wantType(t, filepath.Join(root, "h"), unix.S_IFLNK)
		},
	},
	{
		name:    "to the root",
		entries: func(e breakoutEnv) []tarEntry { return []tarEntry{hardlink("h", "/")} },
		wantErr: `layer entry "h": hard link target is the layer root`,
	},
	{
		name:    "to a directory",
		entries: func(e breakoutEnv) []tarEntry { return []tarEntry{dir("d"), hardlink("h", "d")} },
		wantErr: `layer entry "h": creating hard link to "d"`,
	},
	{
		name:    "to a missing file",
		entries: func(e breakoutEnv) []tarEntry { return []tarEntry{hardlink("h", "missing")} },
		wantErr: `layer entry "h": creating hard link to "missing"`,
	},
	{
		name:    "to itself",
		entries: func(e breakoutEnv) []tarEntry { return []tarEntry{file("f", "kept"), hardlink("f", "./f")} },
		check: func(t *testing.T, root string, e breakoutEnv) {
			wantContent(t, filepath.Join(root, "f"), "kept")
		},
	},
}

// Whiteouts that name something outside their directory.
var whiteoutEscapes = []breakoutCase{
	{
		name:    "whiteout of dotdot",
		entries: func(e breakoutEnv) []tarEntry { return []tarEntry{file(".wh...", "")} },
		wantErr: `layer entry ".wh...": whiteout names a path outside its directory`,
	},
	{
		name:    "whiteout of dotdot in a subdirectory",
		entries: func(e breakoutEnv) []tarEntry { return []tarEntry{dir("etc"), file("etc/.wh...", "")} },
		wantErr: `layer entry "etc/.wh...": whiteout names a path outside its directory`,
	},
	{
		name:    "whiteout of dot",
		entries: func(e breakoutEnv) []tarEntry { return []tarEntry{file(".wh..", "")} },
		wantErr: `whiteout names a path outside its directory`,
	},
	{
		name:    "whiteout of nothing",
		entries: func(e breakoutEnv) []tarEntry { return []tarEntry{file("a/.wh.", "")} },
		wantErr: `whiteout names a path outside its directory`,
	},
	{
		name:    "whiteout in the parent of the root",
		entries: func(e breakoutEnv) []tarEntry { return []tarEntry{file("../.wh.victim", "")} },
		wantErr: `layer entry "../.wh.victim": path escapes the layer root`,
	},
	{
		name: "whiteout through a symlink to a directory missing in the root",
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{symlink("l", "/"+e.out), file("l/.wh.victim", "")}
		},
		wantErr: `layer entry "l/.wh.victim": opening parent directory`,
	},
	{
		name: "whiteout through a symlink climbing out",
		root: true,
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{dir(e.out), symlink("l", e.up+e.out), file("l/.wh.victim", "")}
		},
		check: func(t *testing.T, root string, e breakoutEnv) {
			wantWhiteout(t, filepath.Join(root, e.out, "victim"))
		},
	},
	{
		name: "whiteout replaces a symlink to the victim",
		root: true,
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{symlink("v", e.victim), file(".wh.v", "")}
		},
		check: func(t *testing.T, root string, e breakoutEnv) {
			wantWhiteout(t, filepath.Join(root, "v"))
		},
	},
	{
		name: "opaque directory through a symlink climbing out",
		root: true,
		entries: func(e breakoutEnv) []tarEntry {
			return []tarEntry{dir(e.out), symlink("l", e.up+e.out), file("l/.wh..wh..opq", "")}
		},
		check: func(t *testing.T, root string, e breakoutEnv) {
			if v, ok := xattr(t, filepath.Join(root, e.out), opaqueXattr); v != "y" || !ok {
				t.Errorf("%s inside the root: opaque xattr %q (set %v), want \"y\"", e.out, v, ok)
			}
		},
	},
}
