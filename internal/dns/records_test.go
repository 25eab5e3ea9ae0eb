package dns

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func addrs(s ...string) []netip.Addr {
	var out []netip.Addr
	for _, a := range s {
		out = append(out, netip.MustParseAddr(a))
	}
	return out
}

func TestStateLookup(t *testing.T) {
	files := []Records{
		{Network: "front", Containers: map[string]Record{
			"web": {Names: []string{"web", "WWW-Alias", "abc123"}, Addrs: addrs("10.1.0.2"), Netns: "/ns/web"},
			"api": {Names: []string{"api"}, Addrs: addrs("10.1.0.3"), Netns: "/ns/api"},
			"db1": {Names: []string{"db", "store"}, Addrs: addrs("10.1.0.5"), Netns: "/ns/db1"},
		}},
		{Network: "back", Containers: map[string]Record{
			"api": {Names: []string{"api"}, Addrs: addrs("10.2.0.3"), Netns: "/ns/api"},
			"db2": {Names: []string{"db.", "store"}, Addrs: addrs("10.2.0.4"), Netns: "/ns/db2"},
		}},
	}
	s := buildState(files)
	for _, c := range []struct {
		id, name string
		want     string
	}{
		{"web", "api", "10.1.0.3"},
		{"web", "API.", "10.1.0.3"},         // case and the root's dot do not matter
		{"web", "www-alias", "10.1.0.2"},    // aliases
		{"web", "db", "10.1.0.5"},           // front only: back's db is not seen
		{"web", "nosuch", ""},               // unknown
		{"api", "db", "10.2.0.4 10.1.0.5"},  // on both networks: both, networks in name order
		{"api", "api", "10.2.0.3 10.1.0.3"}, // itself, on both
		{"db2", "web", ""},                  // another network's container
		{"db2", "store", "10.2.0.4"},        // a name shared across networks stays on its own
		{"stranger", "web", ""},             // a container without records
		{"web", "", ""},                     // no name
		{"db1", "store", "10.1.0.5"},        // the other network's holder of the name is not seen
	} {
		var got []string
		for _, a := range s.lookup(c.id, c.name) {
			got = append(got, a.String())
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("lookup(%s, %q) = %q, want %q", c.id, c.name, got, c.want)
		}
	}
	if m := s.members["api"]; m == nil || !slices.Equal(m.networks, []string{"back", "front"}) || m.netns != "/ns/api" {
		t.Errorf("member api = %+v", m)
	}
}

// TestRecordsFiles checks the files as Publish and Forget leave them, and
// what the resolver loads from them.
func TestRecordsFiles(t *testing.T) {
	rec := func(name, ip string) Record {
		return Record{Names: []string{name}, Addrs: addrs(ip), Netns: "/ns/" + name, Upstreams: []string{"192.0.2.53:53"}}
	}
	for _, c := range []struct {
		name    string
		write   []Records         // in order
		broken  []string          // networks whose file is garbage
		want    map[string]string // member → its networks
		files   []string
		wantErr bool
	}{
		{name: "none", want: map[string]string{}},
		{
			name:  "one network",
			write: []Records{{Network: "app", Containers: map[string]Record{"a": rec("a", "10.0.0.2")}}},
			want:  map[string]string{"a": "app"},
			files: []string{"net-app.json"},
		},
		{
			name: "rewritten whole",
			write: []Records{
				{Network: "app", Containers: map[string]Record{"a": rec("a", "10.0.0.2"), "b": rec("b", "10.0.0.3")}},
				{Network: "app", Containers: map[string]Record{"b": rec("b", "10.0.0.3")}},
			},
			want:  map[string]string{"b": "app"},
			files: []string{"net-app.json"},
		},
		{
			name: "the last container gone: no file",
			write: []Records{
				{Network: "app", Containers: map[string]Record{"a": rec("a", "10.0.0.2")}},
				{Network: "app", Containers: map[string]Record{}},
			},
			want: map[string]string{},
		},
		{
			name: "two networks",
			write: []Records{
				{Network: "x", Containers: map[string]Record{"a": rec("a", "10.0.0.2")}},
				{Network: "y", Containers: map[string]Record{"a": rec("a", "10.9.0.2"), "b": rec("b", "10.9.0.3")}},
			},
			want:  map[string]string{"a": "x y", "b": "y"},
			files: []string{"net-x.json", "net-y.json"},
		},
		{
			name:    "a broken file is left out, the others load",
			write:   []Records{{Network: "ok", Containers: map[string]Record{"a": rec("a", "10.0.0.2")}}},
			broken:  []string{"bad"},
			want:    map[string]string{"a": "ok"},
			files:   []string{"net-bad.json", "net-ok.json"},
			wantErr: true,
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, r := range c.write {
				if err := writeRecords(dir, r); err != nil {
					t.Fatal(err)
				}
			}
			for _, b := range c.broken {
				os.WriteFile(recordsPath(dir, b), []byte("{not json"), 0o600)
			}
			s, _, err := loadState(dir)
			if (err != nil) != c.wantErr {
				t.Errorf("loadState error %v, want error %v", err, c.wantErr)
			}
			got := map[string]string{}
			for id, m := range s.members {
				got[id] = strings.Join(m.networks, " ")
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("members %v, want %v", got, c.want)
			}
			var files []string
			des, _ := os.ReadDir(dir)
			for _, d := range des {
				files = append(files, d.Name()) // no temporary file is left
			}
			if !slices.Equal(files, c.files) {
				t.Errorf("files %q, want %q", files, c.files)
			}
			if hasRecords(dir) != (len(c.files) > 0) {
				t.Errorf("hasRecords = %v with files %q", hasRecords(dir), c.files)
			}
		})
	}
}

func TestSerial(t *testing.T) {
	dir := t.TempDir()
	if got := readSerial(dir); got != 0 {
		t.Fatalf("serial of an empty dir: %d", got)
	}
	for want := uint64(1); want <= 3; want++ {
		got, err := bumpSerial(dir)
		if err != nil || got != want || readSerial(dir) != want {
			t.Fatalf("bumpSerial = %d, %v; read %d; want %d", got, err, readSerial(dir), want)
		}
	}
	os.WriteFile(filepath.Join(dir, serialFile), []byte("garbage"), 0o600)
	if got, _ := bumpSerial(dir); got != 1 {
		t.Errorf("bumpSerial after garbage = %d, want 1", got)
	}
}

func TestValidNetworkName(t *testing.T) {
	for _, c := range []struct {
		name string
		ok   bool
	}{
		{"appnet", true}, {"my-net_2", true}, {"", false}, {"a/b", false}, {"..", false}, {".", false}, {"x\x00", false},
	} {
		if err := validNetworkName(c.name); (err == nil) != c.ok {
			t.Errorf("validNetworkName(%q) = %v, want ok %v", c.name, err, c.ok)
		}
	}
}
