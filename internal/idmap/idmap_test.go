package idmap

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseSubIDs(t *testing.T) {
	in := "# comment\nalice:100000:65536\nbad line\nbob:x:1\nzero:5:0\n\n 1001:200000:1000 \nhuge:4294967295:2\n"
	got := ParseSubIDs(strings.NewReader(in))
	want := []NamedRange{{"alice", Range{100000, 65536}}, {"1001", Range{200000, 1000}}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: got %v, want %v", i, got[i], want[i])
		}
	}
}

func TestNextFree(t *testing.T) {
	for _, c := range []struct {
		name   string
		ranges []NamedRange
		want   uint32
	}{
		{"empty", nil, 100000},
		{"after one", []NamedRange{{"a", Range{100000, 65536}}}, 165536},
		{"gap too small", []NamedRange{{"a", Range{100000, 1000}}, {"b", Range{110000, 65536}}}, 175536},
		{"gap big enough", []NamedRange{{"a", Range{100000, 1000}}, {"b", Range{300000, 10}}}, 101000},
		{"out of order", []NamedRange{{"b", Range{165536, 65536}}, {"a", Range{100000, 65536}}}, 231072},
		{"below the floor", []NamedRange{{"a", Range{1000, 5000}}}, 100000},
	} {
		got, err := NextFree(c.ranges, DefaultSize)
		if err != nil || got != c.want {
			t.Errorf("%s: got %d %v, want %d", c.name, got, err, c.want)
		}
	}
	if _, err := NextFree([]NamedRange{{"a", Range{100000, 4294967295 - 100000}}}, DefaultSize); err == nil {
		t.Error("a full id space: want an error")
	}
}

func TestParseOption(t *testing.T) {
	for _, c := range []struct{ in, user, group, err string }{
		{"alice", "alice", "alice", ""},
		{"alice:staff", "alice", "staff", ""},
		{"1000:1000", "1000", "1000", ""},
		{"", "", "", "invalid userns-remap"},
		{"a:b:c", "", "", "invalid userns-remap"},
		{"alice:", "", "", "invalid userns-remap"},
		{":staff", "", "", "invalid userns-remap"},
		{"al ice", "", "", "invalid userns-remap"},
	} {
		u, g, err := ParseOption(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: err %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || u != c.user || g != c.group {
			t.Errorf("%q: %q %q %v", c.in, u, g, err)
		}
	}
}

func testFiles(t *testing.T) Files {
	dir := t.TempDir()
	f := Files{Passwd: filepath.Join(dir, "passwd"), Group: filepath.Join(dir, "group"),
		Subuid: filepath.Join(dir, "subuid"), Subgid: filepath.Join(dir, "subgid")}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(f.Passwd, "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n")
	write(f.Group, "root:x:0:\nstaff:x:50:\n")
	write(f.Subuid, "1000:300000:100000\nother:100000:65536\n")
	write(f.Subgid, "staff:400000:1000\nalice:500000:65536\n")
	return f
}

func TestLookup(t *testing.T) {
	f := testFiles(t)
	r, err := Lookup(f, "alice", "alice")
	// alice's uid range is listed under her numeric id, capped at DefaultSize.
	if err != nil || r.UID != (Range{300000, DefaultSize}) || r.GID != (Range{500000, 65536}) {
		t.Errorf("alice: %+v %v", r, err)
	}
	if r, err = Lookup(f, "alice", "staff"); err != nil || r.GID != (Range{400000, 1000}) {
		t.Errorf("alice:staff: %+v %v", r, err)
	}
	if _, err = Lookup(f, "nobody", "nobody"); err == nil || !strings.Contains(err.Error(), `user "nobody": no subordinate ids in`) {
		t.Errorf("unknown user: %v", err)
	}
}

func TestEnsureSubIDs(t *testing.T) {
	f := testFiles(t)
	if err := EnsureSubIDs(f.Subuid, "geedocker"); err != nil {
		t.Fatal(err)
	}
	if err := EnsureSubIDs(f.Subuid, "geedocker"); err != nil { // idempotent
		t.Fatal(err)
	}
	b, _ := os.ReadFile(f.Subuid)
	if got := string(b); got != "1000:300000:100000\nother:100000:65536\ngeedocker:165536:65536\n" {
		t.Errorf("subuid after EnsureSubIDs:\n%s", got)
	}
	missing := filepath.Join(t.TempDir(), "subgid")
	if err := EnsureSubIDs(missing, "geedocker"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(missing); string(b) != "geedocker:100000:65536\n" {
		t.Errorf("new subgid: %q", b)
	}
}
