package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestGenIsDeterministic(t *testing.T) {
	for _, kind := range []string{"text", "random"} {
		t.Run(kind, func(t *testing.T) {
			s := genSpec{Kind: kind, Seed: 7, Files: 450, Min: 10, Max: 300, Dir: "data"}
			var one, two, other bytes.Buffer
			if err := s.write(&one); err != nil {
				t.Fatal(err)
			}
			if err := s.write(&two); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(one.Bytes(), two.Bytes()) {
				t.Fatal("same spec gave different bytes")
			}
			s.Seed = 8
			if err := s.write(&other); err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(one.Bytes(), other.Bytes()) {
				t.Fatal("another seed gave the same bytes")
			}
			files, dirs := 0, 0
			for _, e := range entries(t, one.Bytes()) {
				switch e.Typeflag {
				case tar.TypeReg:
					files++
					if e.Size < 10 || e.Size > 300 {
						t.Errorf("%s: size %d outside [10, 300]", e.Name, e.Size)
					}
				case tar.TypeDir:
					dirs++
				}
			}
			if files != 450 || dirs != 1+3 {
				t.Errorf("got %d files in %d dirs, want 450 in 4", files, dirs)
			}
		})
	}
}

func TestGenCompressibility(t *testing.T) {
	ratio := func(kind string) float64 {
		var raw, gz bytes.Buffer
		if err := (genSpec{Kind: kind, Seed: 1, Files: 10, Min: 64000, Max: 64000, Dir: "d"}).write(&raw); err != nil {
			t.Fatal(err)
		}
		zw := gzip.NewWriter(&gz)
		zw.Write(raw.Bytes())
		zw.Close()
		return float64(gz.Len()) / float64(raw.Len())
	}
	if r := ratio("random"); r < 0.95 {
		t.Errorf("random data compressed to %.2f of its size, want incompressible", r)
	}
	if r := ratio("text"); r > 0.5 {
		t.Errorf("text compressed only to %.2f of its size, want < 0.5", r)
	}
}

func TestGenRejectsBadSpecs(t *testing.T) {
	for _, s := range []genSpec{
		{Kind: "zeros", Files: 1, Min: 1, Max: 1, Dir: "d"},
		{Kind: "text", Files: 1, Min: 5, Max: 4, Dir: "d"},
		{Kind: "text", Files: 1, Min: 1, Max: 1, Dir: "/abs"},
		{Kind: "text", Files: 1, Min: 1, Max: 1, Dir: "../up"},
	} {
		if err := s.write(io.Discard); err == nil {
			t.Errorf("%+v: no error", s)
		}
	}
}

func TestSplit(t *testing.T) {
	var in bytes.Buffer
	tw := tar.NewWriter(&in)
	add := func(h tar.Header, body string) {
		h.Size = int64(len(body))
		h.Mode = 0o644
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	add(tar.Header{Typeflag: tar.TypeDir, Name: "./"}, "")
	add(tar.Header{Typeflag: tar.TypeDir, Name: "./usr/"}, "")
	add(tar.Header{Typeflag: tar.TypeDir, Name: "./usr/lib/"}, "")
	add(tar.Header{Typeflag: tar.TypeReg, Name: "./usr/lib/libc.so"}, "libc")
	add(tar.Header{Typeflag: tar.TypeReg, Name: "./usr/library"}, "not under usr/lib")
	add(tar.Header{Typeflag: tar.TypeReg, Name: "./etc/passwd"}, "root")
	add(tar.Header{Typeflag: tar.TypeLink, Name: "./etc/libc-link", Linkname: "./usr/lib/libc.so"}, "")
	add(tar.Header{Typeflag: tar.TypeLink, Name: "./usr/lib/passwd-link", Linkname: "etc/passwd"}, "")
	add(tar.Header{Typeflag: tar.TypeSymlink, Name: "./lib", Linkname: "usr/lib"}, "")
	tw.Close()

	var a, b bytes.Buffer
	if err := split(&in, &a, &b, []string{"usr/lib", "opt/"}); err != nil {
		t.Fatal(err)
	}
	wantA := []string{"./", "./usr/", "./usr/library", "./etc/passwd", "./usr/lib/passwd-link", "./lib"}
	wantB := []string{"./usr/lib/", "./usr/lib/libc.so", "./etc/libc-link"}
	if got := names(entries(t, a.Bytes())); !reflect.DeepEqual(got, wantA) {
		t.Errorf("A = %v, want %v", got, wantA)
	}
	if got := names(entries(t, b.Bytes())); !reflect.DeepEqual(got, wantB) {
		t.Errorf("B = %v, want %v", got, wantB)
	}
	if !strings.Contains(b.String(), "libc") {
		t.Error("file body not copied to B")
	}
}

func TestSplitRejectsGarbage(t *testing.T) {
	if err := split(strings.NewReader(strings.Repeat("x", 1024)), io.Discard, io.Discard, []string{"usr"}); err == nil {
		t.Error("no error for a non-tar input")
	}
}

func TestStats(t *testing.T) {
	p := filepath.Join(t.TempDir(), "h.json")
	os.WriteFile(p, []byte(`{"results":[{"command":"geedocker","mean":0.03,"stddev":0.001,"median":0.029,"min":0.027,"max":0.04,"times":[0.03]}]}`), 0o644)
	var out bytes.Buffer
	if err := run([]string{"stats", p}, &out); err != nil {
		t.Fatal(err)
	}
	want := "geedocker\t0.029000\t0.030000\t0.001000\t0.027000\t0.040000\n"
	if out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
	os.WriteFile(p, []byte(`not json`), 0o644)
	if err := run([]string{"stats", p}, io.Discard); err == nil {
		t.Error("no error for bad JSON")
	}
}

func TestUnknownCommand(t *testing.T) {
	if err := run([]string{"frobnicate"}, io.Discard); err == nil {
		t.Error("no error")
	}
	if err := run(nil, io.Discard); err == nil {
		t.Error("no error without arguments")
	}
}

func entries(t *testing.T, b []byte) []*tar.Header {
	t.Helper()
	var hs []*tar.Header
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return hs
		}
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
}

func names(hs []*tar.Header) []string {
	var n []string
	for _, h := range hs {
		n = append(n, h.Name)
	}
	return n
}
