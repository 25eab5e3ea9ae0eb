//go:build linux

package e2e

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/geedocker/geedocker/internal/testutil"
)

// importBusybox makes a one-layer image without a registry blob behind it:
// a push must compress and upload its layer.
func (e *env) importBusybox(ref string) {
	e.t.Helper()
	f := filepath.Join(e.t.TempDir(), "rootfs.tar")
	if err := os.WriteFile(f, testutil.BusyboxRootfsTar(e.t), 0o644); err != nil {
		e.t.Fatal(err)
	}
	e.ok("import", "-c", `CMD ["sh"]`, f, ref)
}

func TestPush(t *testing.T) {
	e := newEnv(t)
	reg := testutil.StartRegistry(t, testutil.RegistryOptions{})
	other := testutil.StartRegistry(t, testutil.RegistryOptions{})
	testutil.Push(t, testutil.WhiteoutImage(t), reg.Addr+"/busybox:whiteout")
	e.importBusybox(reg.Addr + "/imported:v1")

	// A new layer is compressed and pushed; pushed again, it exists.
	out := e.ok("push", reg.Addr+"/imported:v1")
	want := []string{"The push refers to repository [" + reg.Addr + "/imported]\n", ": Preparing\n", ": Pushed\n", "v1: digest: sha256:"}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("push output lacks %q:\n%s", w, out)
		}
	}
	first := out[strings.Index(out, "v1: digest:"):]
	out = e.ok("push", reg.Addr+"/imported:v1")
	if !strings.Contains(out, ": Layer already exists\n") || strings.Contains(out, "Pushed") {
		t.Errorf("second push:\n%s", out)
	}
	if again := out[strings.Index(out, "v1: digest:"):]; again != first {
		t.Errorf("the same image pushed twice has two manifests: %q and %q", first, again)
	}
	// Layers pulled from (or pushed to) a repository of the same registry
	// are mounted from it: the imported layer is the whiteout image's first.
	e.ok("pull", reg.Addr+"/busybox:whiteout")
	e.ok("tag", reg.Addr+"/busybox:whiteout", reg.Addr+"/copy:w")
	out = e.ok("push", reg.Addr+"/copy:w")
	if strings.Count(out, ": Mounted from busybox\n") != 2 || strings.Count(out, ": Mounted from imported\n") != 1 {
		t.Errorf("push to another repository of the same registry does not mount the 3 layers:\n%s", out)
	}
	// To another registry, the layers (whiteouts among them) are rebuilt
	// from the store: the pull checks them against the config's diff IDs.
	e.ok("tag", reg.Addr+"/busybox:whiteout", other.Addr+"/moved:w")
	out = e.ok("push", other.Addr+"/moved:w")
	if strings.Count(out, ": Pushed\n") != 3 {
		t.Errorf("push to another registry:\n%s", out)
	}

	e2 := newEnv(t)
	for _, ref := range []string{reg.Addr + "/imported:v1", reg.Addr + "/copy:w", other.Addr + "/moved:w"} {
		e2.ok("pull", ref)
		if e2.inspectImage(ref).ID != e.inspectImage(ref).ID {
			t.Errorf("%s: pulled back with another ID", ref)
		}
	}
	if got := e2.ok("run", "--rm", other.Addr+"/moved:w", "cat", "/hello.txt"); got != "hello from layer 2\n" {
		t.Errorf("run of the pushed image: %q", got)
	}
	if got := e2.ok("run", "--rm", reg.Addr+"/imported:v1", "echo", "pushed"); got != "pushed\n" {
		t.Errorf("run of the pushed import: %q", got)
	}
	e.fails(1, "An image does not exist locally with the tag: "+reg.Addr+"/nothing", "push", reg.Addr+"/nothing")
}

func TestPushAuth(t *testing.T) {
	e := newEnv(t)
	reg := testutil.StartRegistry(t, testutil.RegistryOptions{User: "alice", Password: "wonderland"})
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	e.importBusybox(reg.Addr + "/private:latest")
	e.fails(1, "push access denied for "+reg.Addr+"/private", "push", reg.Addr+"/private")
	cmd := e.command("login", "-u", "alice", "--password-stdin", reg.Addr)
	cmd.Stdin = strings.NewReader("wonderland\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("login: %v\n%s", err, out)
	}
	if out := e.ok("push", reg.Addr+"/private"); !strings.Contains(out, "latest: digest: sha256:") {
		t.Errorf("push with credentials:\n%s", out)
	}
	e2 := newEnv(t)
	e2.ok("pull", reg.Addr+"/private")
	if got := e2.ok("run", "--rm", reg.Addr+"/private", "echo", "private"); got != "private\n" {
		t.Errorf("run: %q", got)
	}
}

// tarNames lists the entries of a tar file.
func tarNames(t *testing.T, file string) []string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var names []string
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
	}
	sort.Strings(names)
	return names
}

func TestSaveLoad(t *testing.T) {
	e := newEnv(t)
	reg := testutil.StartRegistry(t, testutil.RegistryOptions{})
	testutil.Push(t, testutil.BusyboxImage(t), reg.Addr+"/busybox:latest")
	testutil.Push(t, testutil.WhiteoutImage(t), reg.Addr+"/busybox:whiteout")
	e.ok("pull", reg.Addr+"/busybox")
	e.ok("pull", reg.Addr+"/busybox:whiteout")
	e.ok("tag", reg.Addr+"/busybox", "mine:v1")
	dir := t.TempDir()
	file := filepath.Join(dir, "images.tar")
	e.ok("save", "-o", file, "mine:v1", reg.Addr+"/busybox:whiteout")
	names := strings.Join(tarNames(t, file), " ")
	for _, w := range []string{"blobs/sha256/", "index.json", "manifest.json", "oci-layout", "repositories"} {
		if !strings.Contains(names, w) {
			t.Errorf("archive lacks %s: %s", w, names)
		}
	}
	// Docker's tools and OCI tools read it.
	out, err := exec.Command("skopeo", "inspect", "docker-archive:"+file+":mine:v1").CombinedOutput()
	if err != nil || !strings.Contains(string(out), `"Digest"`) {
		t.Errorf("skopeo inspect docker-archive: %v\n%s", err, out)
	}
	out, err = exec.Command("skopeo", "inspect", "oci-archive:"+file+":v1").CombinedOutput()
	if err != nil {
		t.Errorf("skopeo inspect oci-archive: %v\n%s", err, out)
	}

	e2 := newEnv(t)
	out2 := e2.ok("load", "-i", file)
	if out2 != "Loaded image: mine:v1\nLoaded image: "+reg.Addr+"/busybox:whiteout\n" {
		t.Errorf("load printed %q", out2)
	}
	for _, ref := range []string{"mine:v1", reg.Addr + "/busybox:whiteout"} {
		if e2.inspectImage(ref).ID != e.inspectImage(ref).ID {
			t.Errorf("%s: loaded with another ID", ref)
		}
	}
	if got := e2.ok("run", "--rm", reg.Addr+"/busybox:whiteout", "sh", "-c", "cat /hello.txt; find /data | sort"); got != "hello from layer 2\n/data\n/data/old\n/data/old/b\n" {
		t.Errorf("run of the loaded image: %q", got)
	}

	// save to stdout, load from stdin.
	e3 := newEnv(t)
	cmd := e.command("save", "mine:v1")
	var buf bytes.Buffer
	cmd.Stdout = &buf
	if err := cmd.Run(); err != nil {
		t.Fatalf("save to stdout: %v", err)
	}
	cmd = e3.command("load")
	cmd.Stdin = &buf
	if out, err := cmd.CombinedOutput(); err != nil || string(out) != "Loaded image: mine:v1\n" {
		t.Fatalf("load from stdin: %v %s", err, out)
	}
	if got := e3.ok("run", "--rm", "mine:v1", "echo", "loaded"); got != "loaded\n" {
		t.Errorf("run: %q", got)
	}
}

// TestLoadOtherFormats loads what other tools write: the older Docker
// archive (go-containerregistry's tarball, as `docker save` before 25),
// and skopeo's docker-archive and oci-archive.
func TestLoadOtherFormats(t *testing.T) {
	dir := t.TempDir()
	legacy := filepath.Join(dir, "legacy.tar")
	tag, err := name.NewTag("legacy/busybox:old")
	if err != nil {
		t.Fatal(err)
	}
	img := testutil.WhiteoutImage(t)
	if err := tarball.WriteToFile(legacy, tag, img); err != nil {
		t.Fatal(err)
	}
	cfg, _ := img.ConfigName()
	skopeoOut := map[string]string{
		"skopeo-docker": "docker-archive:" + filepath.Join(dir, "skopeo-docker.tar") + ":skopeo/docker:v2",
		"skopeo-oci":    "oci-archive:" + filepath.Join(dir, "skopeo-oci.tar") + ":skopeo/oci:v3",
	}
	for _, dst := range skopeoOut {
		if out, err := exec.Command("skopeo", "copy", "-q", "docker-archive:"+legacy, dst).CombinedOutput(); err != nil {
			t.Fatalf("skopeo copy to %s: %v\n%s", dst, err, out)
		}
	}
	// skopeo's OCI copy converts the config to OCI's, so only the Docker
	// archives keep the image ID.
	cases := []struct {
		file, want, ref string
		sameID          bool
	}{
		{legacy, "Loaded image: legacy/busybox:old\n", "legacy/busybox:old", true},
		{filepath.Join(dir, "skopeo-docker.tar"), "Loaded image: skopeo/docker:v2\n", "skopeo/docker:v2", true},
		{filepath.Join(dir, "skopeo-oci.tar"), "Loaded image: skopeo/oci:v3\n", "skopeo/oci:v3", false},
	}
	e := newEnv(t)
	for _, c := range cases {
		if out := e.ok("load", "-i", c.file); out != c.want {
			t.Errorf("load %s printed %q, want %q", filepath.Base(c.file), out, c.want)
		}
		if id := e.inspectImage(c.ref).ID; c.sameID && id != cfg.String() {
			t.Errorf("%s: ID %s, want %s", c.ref, id, cfg)
		}
	}
	for _, c := range cases {
		if got := e.ok("run", "--rm", c.ref, "sh", "-c", "cat /hello.txt; find /data | sort"); got != "hello from layer 2\n/data\n/data/old\n/data/old/b\n" {
			t.Errorf("run %s: %q", c.ref, got)
		}
	}
}

// hostileArchive rewrites a good archive: edit may change, drop or add entries.
func hostileArchive(t *testing.T, good, dst string, edit func(h *tar.Header, body []byte) (*tar.Header, []byte), extra ...tarFile) {
	t.Helper()
	f, err := os.Open(good)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		if edit != nil {
			h, body = edit(h, body)
		}
		if h == nil {
			continue
		}
		h.Size = int64(len(body))
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write(body)
	}
	for _, x := range extra {
		tw.WriteHeader(&tar.Header{Name: x.name, Typeflag: x.typ, Linkname: x.link, Size: int64(len(x.body)), Mode: 0o644})
		tw.Write(x.body)
	}
	tw.Close()
	if err := os.WriteFile(dst, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

type tarFile struct {
	name string
	typ  byte
	link string
	body []byte
}

func TestLoadHostile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.tar")
	e := newEnv(t)
	e.importBusybox("good:v1")
	e.ok("save", "-o", good, "good:v1")
	var man []struct {
		Config string
		Layers []string
	}
	{
		cmd := exec.Command("tar", "-xOf", good, "manifest.json")
		b, err := cmd.Output()
		if err != nil || json.Unmarshal(b, &man) != nil || len(man) != 1 {
			t.Fatalf("manifest.json of the saved archive: %v %s", err, b)
		}
	}
	layer := man[0].Layers[0]
	setManifest := func(v any) func(h *tar.Header, b []byte) (*tar.Header, []byte) {
		return func(h *tar.Header, b []byte) (*tar.Header, []byte) {
			if h.Name == "manifest.json" {
				b, _ = json.Marshal(v)
			}
			return h, b
		}
	}
	cases := []struct {
		name  string
		edit  func(h *tar.Header, b []byte) (*tar.Header, []byte)
		extra []tarFile
		want  string
	}{
		{"entry climbs out", nil, []tarFile{{name: "../evil", typ: tar.TypeReg, body: []byte("x")}}, "points outside the archive"},
		{"absolute entry", nil, []tarFile{{name: "/tmp/evil", typ: tar.TypeReg, body: []byte("x")}}, "points outside the archive"},
		{"symlink out", nil, []tarFile{{name: "link", typ: tar.TypeSymlink, link: "../../etc/passwd"}}, "points outside the archive"},
		{"manifest names a path outside", setManifest([]map[string]any{{"Config": man[0].Config, "Layers": []string{"../../../etc/passwd"}}}), nil, "points outside the archive"},
		{"layer digest mismatch", func(h *tar.Header, b []byte) (*tar.Header, []byte) {
			if h.Name == layer {
				b = append([]byte(nil), b...)
				b[len(b)/2] ^= 0xff
			}
			return h, b
		}, nil, "does not match its digest"},
		{"config digest mismatch", func(h *tar.Header, b []byte) (*tar.Header, []byte) {
			if h.Name == man[0].Config {
				b = bytes.Replace(b, []byte(`"sh"`), []byte(`"ls"`), 1)
			}
			return h, b
		}, nil, "has digest"},
		{"layer missing", func(h *tar.Header, b []byte) (*tar.Header, []byte) {
			if h.Name == layer {
				return nil, nil
			}
			return h, b
		}, nil, "is missing"},
		{"not an image archive", func(h *tar.Header, b []byte) (*tar.Header, []byte) {
			if h.Name == "manifest.json" || h.Name == "index.json" {
				return nil, nil
			}
			return h, b
		}, nil, "neither manifest.json nor index.json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bad := filepath.Join(t.TempDir(), "bad.tar")
			hostileArchive(t, good, bad, c.edit, c.extra...)
			e := newEnv(t)
			e.fails(1, c.want, "load", "-i", bad)
			e.assertNoImages()
		})
	}
	t.Run("truncated", func(t *testing.T) {
		b, err := os.ReadFile(good)
		if err != nil {
			t.Fatal(err)
		}
		bad := filepath.Join(t.TempDir(), "bad.tar")
		os.WriteFile(bad, b[:len(b)/2], 0o644)
		e := newEnv(t)
		e.fails(1, "invalid image archive", "load", "-i", bad)
		e.assertNoImages()
	})
}
