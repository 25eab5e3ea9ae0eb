//go:build linux

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/geedocker/geedocker/internal/testutil"
)

type inspectDoc struct {
	ID           string `json:"Id"`
	RepoTags     []string
	RepoDigests  []string
	Os           string
	Architecture string
	Size         int64
	Config       struct {
		Cmd        []string
		Env        []string
		Entrypoint []string
		WorkingDir string
		Labels     map[string]string
	}
	RootFS struct {
		Type   string
		Layers []string
	}
	GraphDriver struct {
		Data map[string]string
	}
}

func (e *env) inspectImage(name string) inspectDoc {
	e.t.Helper()
	var docs []inspectDoc
	out := e.ok("image", "inspect", name)
	if err := json.Unmarshal([]byte(out), &docs); err != nil || len(docs) != 1 {
		e.t.Fatalf("image inspect %s: %v\n%s", name, err, out)
	}
	return docs[0]
}

func TestPullFormats(t *testing.T) {
	e := newEnv(t)
	reg := testutil.StartRegistry(t, testutil.RegistryOptions{})
	cases := []struct {
		tag string
		img func(testing.TB) any
	}{
		{"schema2", func(t testing.TB) any { return testutil.BusyboxImage(t) }},
		{"oci", func(t testing.TB) any { return testutil.BusyboxOCIImage(t) }},
		{"zstd", func(t testing.TB) any { return testutil.ZstdImage(t) }},
		{"whiteout", func(t testing.TB) any { return testutil.WhiteoutImage(t) }},
	}
	testutil.Push(t, testutil.BusyboxImage(t), reg.Addr+"/busybox:schema2")
	testutil.Push(t, testutil.BusyboxOCIImage(t), reg.Addr+"/busybox:oci")
	testutil.Push(t, testutil.ZstdImage(t), reg.Addr+"/busybox:zstd")
	testutil.Push(t, testutil.WhiteoutImage(t), reg.Addr+"/busybox:whiteout")
	for _, c := range cases {
		ref := reg.Addr + "/busybox:" + c.tag
		out := e.ok("pull", ref)
		for _, want := range []string{c.tag + ": Pulling from busybox", "Digest: sha256:", "Status: ", ref + "\n"} {
			if !strings.Contains(out, want) {
				t.Errorf("pull %s output lacks %q:\n%s", ref, want, out)
			}
		}
	}
	// The schema 2 and OCI images have the same config, hence the same ID,
	// and share their layer: the second pull fetched nothing but the manifest.
	images := e.ok("images")
	if !strings.HasPrefix(images, "REPOSITORY") || strings.Count(images, "\n") != 5 {
		t.Fatalf("images:\n%s", images)
	}
	s2, oci := e.inspectImage(reg.Addr+"/busybox:schema2"), e.inspectImage(reg.Addr+"/busybox:oci")
	if s2.ID != oci.ID {
		t.Errorf("schema2 and OCI images of the same config have IDs %s and %s", s2.ID, oci.ID)
	}
	if !strings.Contains(images, strings.TrimPrefix(s2.ID, "sha256:")[:12]) {
		t.Errorf("images does not show the 12-character ID of %s:\n%s", s2.ID, images)
	}
	if s2.Os != "linux" || len(s2.RootFS.Layers) != 1 || len(s2.Config.Cmd) == 0 || s2.Config.Cmd[0] != "sh" {
		t.Errorf("inspect schema2 = %+v", s2)
	}
	if len(e.entries("layers")) != 4 {
		// busybox (shared by schema2 and oci), zstd (another diff? no: the
		// same tar, so the same diff ID), whiteout's two extra layers.
		t.Logf("layers: %v", e.entries("layers"))
	}

	// The whiteout image: whiteouts became overlay char devices 0/0, the
	// opaque marker an xattr; the top layer is the first lower dir.
	wh := e.inspectImage(reg.Addr + "/busybox:whiteout")
	lowers := strings.Split(wh.GraphDriver.Data["LowerDir"], ":")
	if len(lowers) != 3 {
		t.Fatalf("whiteout image has lower dirs %v, want 3", lowers)
	}
	top := lowers[0]
	for _, p := range []string{"etc/hostname", "data/keep"} {
		var st unix.Stat_t
		if err := unix.Lstat(filepath.Join(top, p), &st); err != nil {
			t.Errorf("whiteout %s: %v", p, err)
			continue
		}
		if st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
			t.Errorf("whiteout %s: mode %o rdev %d, want a 0/0 char device", p, st.Mode, st.Rdev)
		}
	}
	buf := make([]byte, 8)
	n, err := unix.Lgetxattr(filepath.Join(top, "data/old"), "trusted.overlay.opaque", buf)
	if err != nil || string(buf[:n]) != "y" {
		t.Errorf("opaque dir: xattr %q, %v", buf[:n], err)
	}
	if _, err := os.Stat(filepath.Join(top, "data/old/.wh..wh..opq")); !os.IsNotExist(err) {
		t.Errorf("the .wh..wh..opq marker was written as a file: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(lowers[1], "hello.txt")); err != nil || string(b) != "hello from layer 2\n" {
		t.Errorf("layer 2 hello.txt = %q, %v", b, err)
	}

	// Pulling again only checks the manifest.
	out := e.ok("pull", reg.Addr+"/busybox:whiteout")
	if !strings.Contains(out, "Status: Image is up to date for "+reg.Addr+"/busybox:whiteout") || strings.Contains(out, "Pull complete") {
		t.Errorf("second pull:\n%s", out)
	}
	if got := e.ok("pull", "-q", reg.Addr+"/busybox:schema2"); got != reg.Addr+"/busybox:schema2\n" {
		t.Errorf("pull -q printed %q", got)
	}
}

func TestPullByDigestAndPlatform(t *testing.T) {
	e := newEnv(t)
	reg := testutil.StartRegistry(t, testutil.RegistryOptions{})
	idx := testutil.IndexImage(t)
	testutil.PushIndex(t, idx, reg.Addr+"/multi:v1")
	dgst, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	e.ok("pull", reg.Addr+"/multi:v1")
	host := e.inspectImage(reg.Addr + "/multi:v1")
	if want := "linux/" + hostArch(); host.Config.Labels[testutil.PlatformLabel] != want {
		t.Errorf("default platform pulled %q, want %q", host.Config.Labels[testutil.PlatformLabel], want)
	}
	if len(host.RepoDigests) != 1 || host.RepoDigests[0] != reg.Addr+"/multi@"+dgst.String() {
		t.Errorf("RepoDigests = %v, want the index digest %s", host.RepoDigests, dgst)
	}
	other := "arm64"
	if hostArch() == "arm64" {
		other = "amd64"
	}
	e.ok("pull", "--platform", "linux/"+other, reg.Addr+"/multi:v1")
	if got := e.inspectImage(reg.Addr + "/multi:v1"); got.Architecture != other {
		t.Errorf("--platform linux/%s pulled architecture %q", other, got.Architecture)
	}
	e.fails(1, "no matching manifest for linux/s390x", "pull", "--platform", "linux/s390x", reg.Addr+"/multi:v1")
	e.fails(125, "invalid platform", "pull", "--platform", "linux", reg.Addr+"/multi:v1")

	byDigest := reg.Addr + "/multi@" + dgst.String()
	out := e.ok("pull", byDigest)
	if !strings.Contains(out, dgst.String()+": Pulling from multi") {
		t.Errorf("pull by digest:\n%s", out)
	}
	e.ok("pull", reg.Addr+"/multi:v1@"+dgst.String())
	if got := e.ok("images", "--digests", "--format", "{{.Repository}} {{.Digest}}", reg.Addr+"/multi"); !strings.Contains(got, dgst.String()) {
		t.Errorf("images --digests: %q", got)
	}
}

func hostArch() string {
	out, _ := exec.Command("go", "env", "GOARCH").Output()
	if s := strings.TrimSpace(string(out)); s != "" {
		return s
	}
	return "amd64"
}

func TestPullErrors(t *testing.T) {
	e := newEnv(t)
	reg := testutil.StartRegistry(t, testutil.RegistryOptions{})
	img := testutil.BusyboxImage(t)
	testutil.Push(t, img, reg.Addr+"/busybox:latest")

	e.fails(1, "manifest for "+reg.Addr+"/nothing:latest not found", "pull", reg.Addr+"/nothing")
	e.fails(1, "manifest for "+reg.Addr+"/busybox:nope not found", "pull", reg.Addr+"/busybox:nope")
	e.fails(1, "invalid reference format: repository name must be lowercase", "pull", reg.Addr+"/BusyBox")
	e.fails(1, "invalid reference format", "pull", "busy$box")
	e.fails(1, "'geedocker pull' requires 1 argument", "pull")
	e.fails(125, "unknown flag: --bogus", "pull", "--bogus", "x")
	// A registry that is not there.
	e.fails(1, "connection refused", "pull", "127.0.0.1:1/busybox")
	e.assertNoImages()

	// A blob whose bytes do not match its digest.
	testutil.Push(t, img, reg.Addr+"/corrupt:latest")
	layers, _ := img.Layers()
	d, _ := layers[0].Digest()
	reg.CorruptBlob(t, "corrupt", d)
	e.fails(1, "", "pull", reg.Addr+"/corrupt")
	e.assertNoImages()

	// Layers that try to write outside their directory.
	for _, kind := range []string{"dotdot", "abs-through-symlink", "symlink-chain", "hardlink-out", "whiteout-out"} {
		t.Run(kind, func(t *testing.T) {
			ref := reg.Addr + "/evil:" + kind
			testutil.Push(t, testutil.MaliciousLayerImage(t, kind), ref)
			r := e.gd("pull", ref)
			if r.Code != 1 || !strings.Contains(r.Stderr, "Error: ") {
				t.Fatalf("pull of a %s layer: exit %d\n%s%s", kind, r.Code, r.Stdout, r.Stderr)
			}
			if out := e.ok("images", "-q", ref); out != "" {
				t.Errorf("image %s is listed after a refused pull", ref)
			}
			if got := e.entries("tmp"); len(got) != 0 {
				t.Errorf("tmp holds %v", got)
			}
		})
	}
	// Nothing escaped: the malicious layers aim at paths near the store.
	for _, p := range []string{"escape", "../escape", "../../escape"} {
		if _, err := os.Lstat(filepath.Join(e.root, "layers", p)); err == nil {
			t.Errorf("%s exists", p)
		}
	}
}

func TestAuth(t *testing.T) {
	e := newEnv(t)
	reg := testutil.StartRegistry(t, testutil.RegistryOptions{User: "alice", Password: "wonderland"})
	testutil.Push(t, testutil.BusyboxImage(t), reg.Addr+"/private:latest")
	t.Setenv("DOCKER_CONFIG", t.TempDir())

	e.fails(1, "pull access denied for "+reg.Addr+"/private", "pull", reg.Addr+"/private")
	r := e.gd("login", "-u", "alice", "-p", "wrong", reg.Addr)
	if r.Code != 1 || !strings.Contains(r.Stderr, "unauthorized") {
		t.Fatalf("login with a wrong password: exit %d %s", r.Code, r.Stderr)
	}
	cmd := e.command("login", "-u", "alice", "--password-stdin", reg.Addr)
	cmd.Stdin = strings.NewReader("wonderland\n")
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "Login Succeeded") {
		t.Fatalf("login --password-stdin: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(os.Getenv("DOCKER_CONFIG"), "config.json"))
	if err != nil || !strings.Contains(string(b), reg.Addr) {
		t.Fatalf("docker config after login: %s %v", b, err)
	}
	e.ok("pull", reg.Addr+"/private")
	if out := e.ok("logout", reg.Addr); !strings.Contains(out, "Removing login credentials for "+reg.Addr) {
		t.Errorf("logout: %q", out)
	}
	e.ok("rmi", reg.Addr+"/private")
	e.fails(1, "pull access denied", "pull", reg.Addr+"/private")
}

func TestRmiAndTag(t *testing.T) {
	e := newEnv(t)
	reg := testutil.StartRegistry(t, testutil.RegistryOptions{})
	testutil.Push(t, testutil.BusyboxImage(t), reg.Addr+"/busybox:latest")
	testutil.Push(t, testutil.WhiteoutImage(t), reg.Addr+"/busybox:whiteout")
	e.ok("pull", reg.Addr+"/busybox")
	e.ok("pull", reg.Addr+"/busybox:whiteout")
	e.ok("tag", reg.Addr+"/busybox", "mine:v1")
	e.ok("tag", reg.Addr+"/busybox", "mine") // :latest
	base := e.inspectImage("mine:v1")
	if len(e.entries("layers")) != 3 {
		t.Fatalf("layers %v, want 3 (one shared)", e.entries("layers"))
	}
	if out := e.ok("images", "--format", "{{.Repository}}:{{.Tag}}", "mine"); out != "mine:latest\nmine:v1\n" && out != "mine:v1\nmine:latest\n" {
		t.Errorf("images mine = %q", out)
	}
	// Removing one of several tags only untags.
	if out := e.ok("rmi", "mine:v1"); out != "Untagged: mine:v1\n" {
		t.Errorf("rmi mine:v1 = %q", out)
	}
	// An ID referenced in two repositories needs -f.
	e.fails(1, "must be forced", "rmi", base.ID[7:19])
	e.fails(1, "No such image: nothing:latest", "rmi", "nothing")
	// Removing the whiteout image keeps the shared busybox layer.
	out := e.ok("rmi", reg.Addr+"/busybox:whiteout")
	if !strings.Contains(out, "Untagged: "+reg.Addr+"/busybox:whiteout") || !strings.Contains(out, "Deleted: sha256:") {
		t.Errorf("rmi whiteout:\n%s", out)
	}
	if got := e.entries("layers"); len(got) != 1 {
		t.Errorf("after rmi of the whiteout image, layers = %v, want the shared one", got)
	}
	e.ok("rmi", "-f", base.ID[7:19])
	if got := e.entries("layers"); len(got) != 0 {
		t.Errorf("after removing every image, layers = %v", got)
	}
	if got := e.entries("blobs/sha256"); len(got) != 0 {
		t.Errorf("after removing every image, blobs = %v", got)
	}
	e.ok("pull", reg.Addr+"/busybox")
	e.ok("rmi", base.ID) // full ID, one repository
	e.assertNoImages()
}

func TestImport(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	tarPath := filepath.Join(dir, "rootfs.tar")
	if err := os.WriteFile(tarPath, testutil.BusyboxRootfsTar(t), 0o644); err != nil {
		t.Fatal(err)
	}
	gz := filepath.Join(dir, "rootfs.tar.gz")
	if out, err := exec.Command("sh", "-c", "gzip -c "+tarPath+" > "+gz).CombinedOutput(); err != nil {
		t.Fatalf("gzip: %v %s", err, out)
	}
	id := strings.TrimSpace(e.ok("import", "--change", `CMD ["sh"]`, "-c", "ENV A=1 B=\"two words\"", "-c", "WORKDIR /tmp", tarPath, "bb:plain"))
	if !strings.HasPrefix(id, "sha256:") || len(id) != 71 {
		t.Fatalf("import printed %q, want an image ID", id)
	}
	doc := e.inspectImage("bb:plain")
	if doc.ID != id || strings.Join(doc.Config.Cmd, " ") != "sh" || doc.Config.WorkingDir != "/tmp" {
		t.Errorf("inspect: %+v", doc)
	}
	if env := strings.Join(doc.Config.Env, ","); env != "A=1,B=two words" {
		t.Errorf("Env = %q", env)
	}
	// The same content from stdin, gzip-compressed, shares the layer.
	cmd := e.command("import", "-", "bb:gz")
	f, _ := os.Open(gz)
	defer f.Close()
	cmd.Stdin = f
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("import -: %v %s", err, out)
	}
	if got := e.entries("layers"); len(got) != 1 {
		t.Errorf("layers after two imports of one tree: %v", got)
	}
	lower := e.inspectImage("bb:gz").GraphDriver.Data["LowerDir"]
	if fi, err := os.Stat(filepath.Join(lower, "bin/busybox")); err != nil || fi.Mode()&0o111 == 0 {
		t.Errorf("bin/busybox in the layer: %v %v", fi, err)
	}
	// An import without a name is a dangling image.
	e.ok("import", tarPath)
	if out := e.ok("images", "--filter", "dangling=true", "--format", "{{.Repository}}:{{.Tag}}"); out != "<none>:<none>\n" {
		t.Errorf("dangling images: %q", out)
	}
	if out := e.ok("image", "prune", "-f"); !strings.Contains(out, "deleted: sha256:") {
		t.Errorf("image prune: %q", out)
	}
	// Bad input leaves nothing.
	e.fails(125, "invalid --change", "import", "--change", "RUN true", tarPath, "bad:x")
	e.fails(1, "no such file or directory", "import", filepath.Join(dir, "missing.tar"))
	garbage := filepath.Join(dir, "garbage")
	os.WriteFile(garbage, []byte("this is not a tar file at all, not even close......"), 0o644)
	e.fails(1, "importing", "import", garbage, "bad:y")
	if got := e.entries("tmp"); len(got) != 0 {
		t.Errorf("tmp after failed imports: %v", got)
	}
	if out := e.ok("images", "-q", "bad"); out != "" {
		t.Errorf("bad import listed: %q", out)
	}
}

// A pull killed halfway leaves a store the next command accepts, and a
// re-run completes it.
func TestPullKilledThenRerun(t *testing.T) {
	e := newEnv(t)
	reg := testutil.StartRegistry(t, testutil.RegistryOptions{})
	testutil.Push(t, testutil.BigImage(t, 4, 3000, 40<<20), reg.Addr+"/big:latest")
	cmd := e.command("pull", "--max-concurrent-downloads", "2", reg.Addr+"/big")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the pull is unpacking (a layer dir in tmp), then kill it.
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	killed := false
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		select {
		case <-done:
			break wait
		case <-tick.C:
			if len(e.entries("tmp")) > 0 && len(e.entries("layers")) > 0 {
				cmd.Process.Kill()
				killed = true
				<-done
				break wait
			}
		}
	}
	if !killed {
		t.Skip("the pull finished before it could be killed")
	}
	if out := e.ok("images", "-q"); out != "" {
		t.Errorf("images after a killed pull: %q", out)
	}
	out := e.ok("pull", reg.Addr+"/big")
	if !strings.Contains(out, "Downloaded newer image") {
		t.Errorf("re-run:\n%s", out)
	}
	if got := e.entries("tmp"); len(got) != 0 {
		t.Errorf("tmp after the re-run: %v", got)
	}
	if len(e.inspectImage(reg.Addr+"/big").RootFS.Layers) != 5 {
		t.Errorf("big image incomplete")
	}
}

// Parallel pulls of one image, listings and removals keep the store
// consistent.
func TestParallelPullsAndRmi(t *testing.T) {
	e := newEnv(t)
	reg := testutil.StartRegistry(t, testutil.RegistryOptions{})
	testutil.Push(t, testutil.BigImage(t, 3, 500, 6<<20), reg.Addr+"/big:latest")
	testutil.Push(t, testutil.BusyboxImage(t), reg.Addr+"/small:latest")
	e.ok("pull", reg.Addr+"/small")
	var wg sync.WaitGroup
	results := make(chan string, 16)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.gd("pull", reg.Addr+"/big")
			if r.Code != 0 {
				results <- fmt.Sprintf("parallel pull: exit %d: %s", r.Code, r.Stderr)
			}
		}()
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; i < 10; i++ {
			if r := e.gd("images"); r.Code != 0 {
				results <- "images during pulls: " + r.Stderr
			}
		}
	}()
	go func() {
		defer wg.Done()
		if r := e.gd("rmi", reg.Addr+"/small"); r.Code != 0 {
			results <- "rmi during pulls: " + r.Stderr
		}
	}()
	wg.Wait()
	close(results)
	for r := range results {
		t.Error(r)
	}
	if out := e.ok("images", "--format", "{{.Repository}}"); out != reg.Addr+"/big\n" {
		t.Errorf("images after parallel pulls: %q", out)
	}
	if got := len(e.entries("layers")); got != 4 {
		t.Errorf("layers: %d, want 4", got)
	}
}

func TestVersionInfo(t *testing.T) {
	e := newEnv(t)
	if out := e.ok("version"); !strings.Contains(out, "Version:") {
		t.Errorf("version: %q", out)
	}
	out := e.ok("info")
	for _, want := range []string{"Storage Driver: overlay", "Cgroup Version: ", "GeeDocker Root Dir: " + e.root, "Images: 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("info lacks %q:\n%s", want, out)
		}
	}
}
