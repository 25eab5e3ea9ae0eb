//go:build linux

package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Two fuzz targets for Apply, both with one invariant: whatever the layer,
// Apply does not panic and changes nothing outside the layer root.
//
// Each input is applied to a root placed in a "jail" directory that also
// holds sentinels (a file, a directory with a file, a symbolic link) beside
// the root; the jail lies several directories below t.TempDir(). After
// Apply, everything below t.TempDir() except the root is compared with a
// snapshot taken before (type, mode, owner, size, link count, times, content,
// link target, xattrs): a file created, changed or removed there fails the
// input. Escapes are aimed at the jail: the structured target's words for
// leaving the root name it (by its absolute path, or by enough ".." to reach
// "/" followed by that path), and the jail lies deep enough that a few ".."
// too many still land below t.TempDir(), so a broken confinement shows up
// there. FuzzApplyTar's seeds keep those words literally ("{out}" names no
// real directory) and its mutations are blind: a raw layer may name any
// host path, which Apply must resolve inside the root, the same risk the
// breakout tests take.
//
// As root, as in CI, device nodes, owners, whiteouts and trusted.* xattrs
// are made for real. Without root the same inputs run; device entries are
// turned into FIFOs, and entries that need root make Apply fail with
// "needs root", which is a valid outcome.

// fuzzOptions bound what one input may write, so that an input declaring
// huge sparse files stays fast.
var fuzzOptions = Options{MaxSize: 4 << 20, MaxEntries: 512}

// FuzzApplyTar applies the fuzzer's bytes as a tar stream.
func FuzzApplyTar(f *testing.F) {
	for _, tc := range breakoutCases() {
		f.Add(makeTar(f, tc.entries(fuzzEnv)...))
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		applyInJail(t, func(breakoutEnv) []byte { return data })
	})
}

// FuzzApplyEntries decodes the fuzzer's bytes into a short list of entries
// (files, directories, symbolic and hard links, FIFOs, devices, whiteouts,
// xattrs) whose names and link targets are made of path elements that
// matter here ("..", ".", "", ".wh.*", the jail's path, enough ".." to reach
// "/"), writes them as a valid tar stream and applies it. See
// decodeFuzzEntries for the encoding.
func FuzzApplyEntries(f *testing.F) {
	for _, tc := range breakoutCases() {
		f.Add(encodeFuzzEntries(tc.entries(fuzzEnv)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		applyInJail(t, func(e breakoutEnv) []byte {
			return writeTar(decodeFuzzEntries(data, e, os.Geteuid() == 0))
		})
	})
}

// fuzzEnv is the breakoutEnv the seeds are built with: its words stand for
// the jail's path and for the climb to "/", and are replaced by them when
// an input is applied.
var fuzzEnv = breakoutEnv{out: "{out}", up: "{up}", victim: "/{out}/victim"}

// jailDepth is how many directories separate t.TempDir() from the jail, so
// that a name or link with a few ".." too many, were it followed out of the
// root, would still land below t.TempDir() and be seen.
const jailDepth = 6

// applyInJail builds the jail, applies the stream that layer makes for it,
// and fails if anything outside the root changed.
func applyInJail(t *testing.T, layer func(e breakoutEnv) []byte) {
	top := t.TempDir()
	jail := top + strings.Repeat("/j", jailDepth)
	root := filepath.Join(jail, "root")
	mustMkdirAll(t, root)
	mustWrite(t, filepath.Join(jail, "victim"), "precious", 0o400)
	mustMkdirAll(t, filepath.Join(jail, "victimdir"))
	mustWrite(t, filepath.Join(jail, "victimdir", "f"), "precious", 0o644)
	if err := os.Symlink("victimdir", filepath.Join(jail, "victimlink")); err != nil {
		t.Fatal(err)
	}
	// Without root, a directory the layer made unwritable could not be
	// removed by t.TempDir's cleanup.
	t.Cleanup(func() { makeRemovable(root) })
	e := breakoutEnv{
		out:    strings.TrimPrefix(jail, "/"),
		up:     strings.Repeat("../", strings.Count(jail, "/")+4),
		victim: filepath.Join(jail, "victim"),
	}
	before := snapshot(t, top, root)

	_, err := Apply(context.Background(), root, bytes.NewReader(layer(e)), fuzzOptions)

	for _, d := range diffSnapshots(before, snapshot(t, top, root)) {
		t.Errorf("outside the layer root: %s", d)
	}
	if err != nil && strings.Contains(err.Error(), "\n") {
		t.Errorf("Apply error spans lines: %q", err)
	}
}

func mustMkdirAll(t *testing.T, p string) {
	t.Helper()
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
}

// writeTar writes entries as a PAX tar stream, leaving out those whose
// header tar refuses (the fuzzer makes some).
func writeTar(entries []tarEntry) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := e.hdr
		h.Format = tar.FormatPAX
		if err := tw.WriteHeader(&h); err != nil {
			continue // refused before anything was written
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			break
		}
	}
	tw.Close()
	return buf.Bytes()
}

// The structured encoding of FuzzApplyEntries: a sequence of entries, each
//
//	kind byte, name, [link target], mode (2 bytes), uid, gid, [extra]
//
// with kind%8 one of fuzzKinds; symbolic and hard links carry a link
// target; a file carries a content length byte and the content; a device
// its major and minor byte; a file with xattrs one xattr (a name index, a
// value length byte and the value). A path is a byte c (c&15 elements,
// absolute when c&16, a trailing slash when c&32), then per element a byte
// indexing fuzzWords, or the last index followed by a length byte and that
// many bytes of literal name. Missing bytes read as 0.
const (
	kindFile = iota
	kindDir
	kindSymlink
	kindHardlink
	kindFifo
	kindChar
	kindBlock
	kindXattrFile
	numKinds
)

const maxFuzzEntries = 24

// fuzzWords are the path elements names are made of. "{out}" is the jail
// (root's parent) without its leading "/", "{up}" enough "../" to climb from
// anywhere in the root to "/".
var fuzzWords = []string{
	"a", "b", "l", "..", ".", "", "victim", "victimdir", "victimlink", "root",
	".wh.a", ".wh.l", ".wh.victim", ".wh..wh..opq", ".wh..wh.plnk", ".wh...", ".wh.",
	"proc", "self", "{out}", "{up}{out}", "{up}",
}

var fuzzXattrs = []string{
	"user.x", "trusted.overlay.opaque", "trusted.overlay.redirect", "trusted.x",
	"security.capability", "system.posix_acl_default", "system.posix_acl_access",
}

type fuzzBytes struct{ b []byte }

func (r *fuzzBytes) byte() byte {
	if len(r.b) == 0 {
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *fuzzBytes) bytes(n int) []byte {
	n = min(n, len(r.b))
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *fuzzBytes) path(expand func(string) string) string {
	c := r.byte()
	elems := make([]string, c&15)
	for i := range elems {
		w := int(r.byte())
		if w%(len(fuzzWords)+1) == len(fuzzWords) {
			elems[i] = string(r.bytes(int(r.byte())))
		} else {
			elems[i] = expand(fuzzWords[w%(len(fuzzWords)+1)])
		}
	}
	p := strings.Join(elems, "/")
	if c&16 != 0 {
		p = "/" + p
	}
	if c&32 != 0 {
		p += "/"
	}
	return p
}

// decodeFuzzEntries decodes data (see above) for the jail e. Without root,
// device entries become FIFOs.
func decodeFuzzEntries(data []byte, e breakoutEnv, asRoot bool) []tarEntry {
	expand := strings.NewReplacer("{out}", e.out, "{up}", e.up).Replace
	r := &fuzzBytes{data}
	var out []tarEntry
	for len(r.b) > 0 && len(out) < maxFuzzEntries {
		kind := int(r.byte()) % numKinds
		hdr := tar.Header{Name: r.path(expand), ModTime: epoch}
		if kind == kindSymlink || kind == kindHardlink {
			hdr.Linkname = r.path(expand)
		}
		hdr.Mode = int64(r.byte()) | int64(r.byte())<<8&0o7400
		hdr.Uid, hdr.Gid = int(r.byte()), int(r.byte())
		var body string
		switch kind {
		case kindFile, kindXattrFile:
			hdr.Typeflag = tar.TypeReg
			body = string(r.bytes(int(r.byte())))
			hdr.Size = int64(len(body))
			if kind == kindXattrFile {
				name := fuzzXattrs[int(r.byte())%len(fuzzXattrs)]
				value := string(r.bytes(int(r.byte())))
				hdr.PAXRecords = map[string]string{paxXattrPrefix + name: value}
			}
		case kindDir:
			hdr.Typeflag = tar.TypeDir
		case kindSymlink:
			hdr.Typeflag = tar.TypeSymlink
		case kindHardlink:
			hdr.Typeflag = tar.TypeLink
		case kindFifo:
			hdr.Typeflag = tar.TypeFifo
		case kindChar, kindBlock:
			hdr.Typeflag = tar.TypeChar
			if kind == kindBlock {
				hdr.Typeflag = tar.TypeBlock
			}
			hdr.Devmajor, hdr.Devminor = int64(r.byte()), int64(r.byte())
			if !asRoot {
				hdr.Typeflag, hdr.Devmajor, hdr.Devminor = tar.TypeFifo, 0, 0
			}
		}
		out = append(out, tarEntry{hdr: hdr, body: body})
	}
	return out
}

// encodeFuzzEntries is the inverse of decodeFuzzEntries for entries built
// with fuzzEnv, used to seed the corpus with the breakout cases. Path
// elements beyond 15 are dropped, content beyond 255 bytes is cut.
func encodeFuzzEntries(entries []tarEntry) []byte {
	var b []byte
	path := func(p string) {
		var c byte
		if strings.HasPrefix(p, "/") {
			c |= 16
			p = p[1:]
		}
		if strings.HasSuffix(p, "/") {
			c |= 32
			p = p[:len(p)-1]
		}
		var elems []string
		if p != "" {
			elems = strings.Split(p, "/")
		}
		elems = elems[:min(len(elems), 15)]
		b = append(b, c|byte(len(elems)))
		for _, el := range elems {
			i := wordIndex(el)
			b = append(b, byte(i))
			if i == len(fuzzWords) {
				el = el[:min(len(el), 255)]
				b = append(b, byte(len(el)))
				b = append(b, el...)
			}
		}
	}
	for _, e := range entries {
		h := e.hdr
		var kind int
		switch h.Typeflag {
		case tar.TypeReg:
			kind = kindFile
		case tar.TypeDir:
			kind = kindDir
		case tar.TypeSymlink:
			kind = kindSymlink
		case tar.TypeLink:
			kind = kindHardlink
		case tar.TypeFifo:
			kind = kindFifo
		case tar.TypeChar:
			kind = kindChar
		case tar.TypeBlock:
			kind = kindBlock
		default:
			continue
		}
		b = append(b, byte(kind))
		path(h.Name)
		if kind == kindSymlink || kind == kindHardlink {
			path(h.Linkname)
		}
		b = append(b, byte(h.Mode), byte(h.Mode>>8), byte(h.Uid), byte(h.Gid))
		switch kind {
		case kindFile:
			body := e.body[:min(len(e.body), 255)]
			b = append(b, byte(len(body)))
			b = append(b, body...)
		case kindChar, kindBlock:
			b = append(b, byte(h.Devmajor), byte(h.Devminor))
		}
	}
	return b
}

// wordIndex returns the index of el in fuzzWords, or len(fuzzWords) for a
// literal.
func wordIndex(el string) int {
	for i, w := range fuzzWords {
		if w == el {
			return i
		}
	}
	return len(fuzzWords)
}

// TestFuzzEntriesRoundTrip checks that the seeds mean what the breakout
// cases mean: encoding then decoding gives the same names, link targets and
// types.
func TestFuzzEntriesRoundTrip(t *testing.T) {
	e := breakoutEnv{out: "tmp/jail", up: "../../../", victim: "/tmp/jail/victim"}
	expand := strings.NewReplacer("{out}", e.out, "{up}", e.up).Replace
	for _, tc := range breakoutCases() {
		want := tc.entries(fuzzEnv)
		got := decodeFuzzEntries(encodeFuzzEntries(want), e, true)
		if len(got) != len(want) {
			t.Fatalf("%s: %d entries decoded, want %d", tc.name, len(got), len(want))
		}
		for i := range want {
			w, g := want[i].hdr, got[i].hdr
			if g.Typeflag != w.Typeflag || g.Name != expand(w.Name) || g.Linkname != expand(w.Linkname) || got[i].body != want[i].body {
				t.Errorf("%s: entry %d decoded as %c %q -> %q (%q), want %c %q -> %q (%q)", tc.name, i,
					g.Typeflag, g.Name, g.Linkname, got[i].body, w.Typeflag, expand(w.Name), expand(w.Linkname), want[i].body)
			}
		}
	}
}
