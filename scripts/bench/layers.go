package main

import (
	"archive/tar"
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"path"
	"strings"
	"time"
)

// filesPerDir is how many generated files share one directory.
const filesPerDir = 200

// genSpec describes a tar of generated files. The same spec always gives
// the same bytes.
type genSpec struct {
	Kind     string // "text" (compressible) or "random" (incompressible)
	Seed     uint64
	Files    int
	Min, Max int // file sizes in bytes, inclusive
	Dir      string
}

// words make the text files: a small vocabulary picked at random compresses
// about as well as source code does.
var words = strings.Fields(`func return if else for range var const type struct interface map chan
go defer select case default switch break continue package import error nil true false int
string byte rune uint64 float64 len cap make new append copy delete panic recover context
ctx err value key index count buffer reader writer handler config options request response
client server layer image store digest manifest blob tag name path file dir mount cgroup`)

func (s genSpec) validate() error {
	if s.Kind != "text" && s.Kind != "random" {
		return fmt.Errorf("unknown kind %q (want text or random)", s.Kind)
	}
	if s.Files < 0 || s.Min < 0 || s.Max < s.Min {
		return fmt.Errorf("bad sizes: files %d, min %d, max %d", s.Files, s.Min, s.Max)
	}
	if s.Dir == "" || path.IsAbs(s.Dir) || strings.Contains(s.Dir, "..") {
		return fmt.Errorf("bad directory %q", s.Dir)
	}
	return nil
}

func (s genSpec) write(w io.Writer) error {
	if err := s.validate(); err != nil {
		return err
	}
	rng := rand.New(rand.NewChaCha8(seed32(s.Seed)))
	bw := bufio.NewWriterSize(w, 1<<20)
	tw := tar.NewWriter(bw)
	dir := func(name string) error {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: 0o755, ModTime: time.Unix(0, 0), Format: tar.FormatUSTAR})
	}
	if err := dir(s.Dir); err != nil {
		return err
	}
	body := make([]byte, s.Max)
	ext := "txt"
	if s.Kind == "random" {
		ext = "bin"
	}
	for i := 0; i < s.Files; i++ {
		sub := fmt.Sprintf("%s/d%03d", s.Dir, i/filesPerDir)
		if i%filesPerDir == 0 {
			if err := dir(sub); err != nil {
				return err
			}
		}
		size := s.Min + rng.IntN(s.Max-s.Min+1)
		b := body[:size]
		if s.Kind == "random" {
			fillRandom(rng, b)
		} else {
			fillText(rng, b)
		}
		name := fmt.Sprintf("%s/f%06d.%s", sub, i, ext)
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(size), ModTime: time.Unix(0, 0), Format: tar.FormatUSTAR}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(b); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return bw.Flush()
}

func seed32(seed uint64) [32]byte {
	var s [32]byte
	for i := 0; i < 8; i++ {
		s[i] = byte(seed >> (8 * i))
	}
	return s
}

func fillRandom(rng *rand.Rand, b []byte) {
	for i := 0; i < len(b); i += 8 {
		v := rng.Uint64()
		for j := 0; j < 8 && i+j < len(b); j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
}

// fillText fills b with lines of words, cut to fit exactly.
func fillText(rng *rand.Rand, b []byte) {
	n := 0
	col := 0
	for n < len(b) {
		w := words[rng.IntN(len(words))]
		sep := byte(' ')
		if col > 60 || rng.IntN(12) == 0 {
			sep, col = '\n', 0
		}
		n += copy(b[n:], w)
		col += len(w) + 1
		if n < len(b) {
			b[n] = sep
			n++
		}
	}
}

// split copies every entry of the tar in into a or b: into b when its path
// is one of the prefixes or lies below one, into a otherwise. A hard link
// goes where its target went, so each output extracts on its own.
func split(in io.Reader, a, b io.Writer, prefixes []string) error {
	tr := tar.NewReader(in)
	ta, tb := tar.NewWriter(a), tar.NewWriter(b)
	inB := map[string]bool{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("reading tar: %w", err)
		}
		clean := cleanName(hdr.Name)
		toB := underAny(clean, prefixes)
		if hdr.Typeflag == tar.TypeLink {
			toB = inB[cleanName(hdr.Linkname)]
		}
		inB[clean] = toB
		tw := ta
		if toB {
			tw = tb
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("writing entry %q: %w", hdr.Name, err)
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return fmt.Errorf("copying entry %q: %w", hdr.Name, err)
		}
	}
	if err := ta.Close(); err != nil {
		return err
	}
	return tb.Close()
}

func cleanName(n string) string {
	return strings.TrimPrefix(path.Clean("/"+n), "/")
}

func underAny(p string, prefixes []string) bool {
	for _, pre := range prefixes {
		pre = cleanName(pre)
		if pre != "" && (p == pre || strings.HasPrefix(p, pre+"/")) {
			return true
		}
	}
	return false
}
