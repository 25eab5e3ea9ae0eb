package testutil

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/crypto/bcrypt"
)

// registryName is the binary StartRegistry runs, looked up in PATH and then
// in /usr/bin (a variable so the tests can name a missing one).
var registryName = "docker-registry"

// How long a registry gets to answer on /v2/, and a push to finish.
const (
	registryStartTimeout = 30 * time.Second
	pushTimeout          = 5 * time.Minute
)

// Registry is a docker-registry process started by StartRegistry on a free
// 127.0.0.1 port, with its storage in a temp dir. t.Cleanup kills it by PID,
// and the temp dir is removed after that.
type Registry struct {
	Addr     string // "127.0.0.1:PORT", the host part of image references
	User     string // empty when the registry is anonymous
	Password string
	Root     string // the storage root directory (filesystem driver)

	pid int
	log string // the file that has the registry's stdout and stderr
}

// RegistryOptions configures StartRegistry. When User is set the registry
// demands HTTP basic auth (htpasswd, bcrypt) for every request.
type RegistryOptions struct {
	User, Password string
}

// StartRegistry starts a registry and waits until it answers on /v2/. It
// skips the test when the docker-registry binary is missing, or fails it when
// GEEDOCKER_REQUIRE_REGISTRY=1.
func StartRegistry(t testing.TB, opts RegistryOptions) *Registry {
	t.Helper()
	bin, err := exec.LookPath(registryName)
	if err != nil {
		bin = filepath.Join("/usr/bin", registryName)
	}
	needTool(t, bin, "docker-registry")
	if opts.User != "" && opts.Password == "" {
		t.Fatalf("StartRegistry: user %q needs a password", opts.User)
	}

	dir := t.TempDir()
	r := &Registry{User: opts.User, Password: opts.Password, Root: filepath.Join(dir, "storage"), log: filepath.Join(dir, "registry.log")}
	if err := os.Mkdir(r.Root, 0o755); err != nil {
		t.Fatalf("creating registry storage: %v", err)
	}
	var auth string
	if opts.User != "" {
		path := filepath.Join(dir, "htpasswd")
		if err := writeHtpasswd(path, opts.User, opts.Password); err != nil {
			t.Fatalf("StartRegistry: %v", err)
		}
		auth = fmt.Sprintf("auth:\n  htpasswd:\n    realm: geedocker-test\n    path: %q\n", path)
	}

	// The free port is found by listening on :0 and closing, so another
	// process may take it before the registry binds it: then try again.
	const attempts = 5
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatalf("StartRegistry: %v", err)
		}
		r.Addr = fmt.Sprintf("127.0.0.1:%d", port)
		err = r.start(t, bin, filepath.Join(dir, "config.yml"), auth)
		if err == nil {
			break
		}
		if attempt < attempts && strings.Contains(r.logTail(), "address already in use") {
			continue
		}
		t.Fatalf("starting %s on %s: %v\n%s", bin, r.Addr, err, r.logTail())
	}
	if opts.User != "" {
		setCredentials(r.Addr, &authn.Basic{Username: opts.User, Password: opts.Password})
		t.Cleanup(func() { setCredentials(r.Addr, nil) })
	}
	return r
}

// start runs the registry with a config for r.Addr and waits until it
// answers. On success t.Cleanup is set to kill it; on failure it is already
// dead.
func (r *Registry) start(t testing.TB, bin, configPath, auth string) error {
	config := fmt.Sprintf(`version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %q
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %s
  secret: geedocker-test-secret
%s`, r.Root, r.Addr, auth)
	if err := os.WriteFile(configPath, []byte(config), 0o644); err != nil {
		return fmt.Errorf("writing registry config: %w", err)
	}
	logFile, err := os.Create(r.log)
	if err != nil {
		return fmt.Errorf("creating registry log: %w", err)
	}
	defer logFile.Close() // the child has its own copy

	cmd := exec.Command(bin, "serve", configPath)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = registryEnv()
	if err := startProcess(cmd); err != nil {
		return fmt.Errorf("starting registry: %w", err)
	}
	r.pid = cmd.Process.Pid
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait() // killed by us: the exit status says nothing
		close(exited)
	}()
	stop := func() {
		_ = cmd.Process.Kill() // by PID; an error means it has already exited
		<-exited
	}

	if err := waitForRegistry("http://"+r.Addr+"/v2/", exited); err != nil {
		stop()
		return err
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("registry %s log:\n%s", r.Addr, r.logTail())
		}
	})
	return nil
}

// PID is the process ID of the registry.
func (r *Registry) PID() int { return r.pid }

// Auth is the authenticator for this registry: basic auth with its user and
// password, or anonymous.
func (r *Registry) Auth() authn.Authenticator {
	if r.User == "" {
		return authn.Anonymous
	}
	return &authn.Basic{Username: r.User, Password: r.Password}
}

// logTail is the end of the registry's log, for error messages.
func (r *Registry) logTail() string {
	b, err := os.ReadFile(r.log)
	if err != nil {
		return fmt.Sprintf("(no registry log: %v)", err)
	}
	const keep = 4096
	if len(b) > keep {
		b = b[len(b)-keep:]
	}
	return string(b)
}

// waitForRegistry polls url until the registry answers (200, or 401 when it
// demands auth), the process exits, or registryStartTimeout passes.
func waitForRegistry(url string, exited <-chan struct{}) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(registryStartTimeout)
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return nil
			}
			err = fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("registry did not answer within %v: %w", registryStartTimeout, err)
		}
		select {
		case <-exited:
			return errors.New("registry exited before it answered")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// registryEnv is the test's environment without REGISTRY_* variables, which
// would override the config file.
func registryEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "REGISTRY_") {
			env = append(env, kv)
		}
	}
	return env
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// writeHtpasswd writes an htpasswd file with one bcrypt entry, the only hash
// the registry accepts. The lowest cost keeps the per-request check cheap.
func writeHtpasswd(path, user, password string) error {
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		return fmt.Errorf("hashing password: %w", err)
	}
	if err := os.WriteFile(path, []byte(user+":"+string(hash)+"\n"), 0o600); err != nil {
		return fmt.Errorf("writing htpasswd: %w", err)
	}
	return nil
}

// CorruptBlob overwrites the stored data of a blob that repo links to with
// as many different bytes (each byte inverted), so the registry then serves
// content of the right size whose digest does not match.
func (r *Registry) CorruptBlob(t testing.TB, repo string, digest v1.Hash) {
	t.Helper()
	v2 := filepath.Join(r.Root, "docker", "registry", "v2")
	repoDir := filepath.Join(v2, "repositories", filepath.FromSlash(repo))
	linked := false
	for _, link := range []string{
		filepath.Join(repoDir, "_layers", digest.Algorithm, digest.Hex, "link"),
		filepath.Join(repoDir, "_manifests", "revisions", digest.Algorithm, digest.Hex, "link"),
	} {
		if _, err := os.Stat(link); err == nil {
			linked = true
		}
	}
	if !linked || len(digest.Hex) < 2 {
		t.Fatalf("CorruptBlob: repository %q on %s has no blob %s", repo, r.Addr, digest)
	}
	data := filepath.Join(v2, "blobs", digest.Algorithm, digest.Hex[:2], digest.Hex, "data")
	b, err := os.ReadFile(data)
	if err != nil {
		t.Fatalf("CorruptBlob: %v", err)
	}
	for i := range b {
		b[i] ^= 0xff
	}
	if err := os.WriteFile(data, b, 0o644); err != nil {
		t.Fatalf("CorruptBlob: %v", err)
	}
}

// credentials maps a registry address to the authenticator Push and
// PushIndex use for it.
var (
	credMu      sync.Mutex
	credentials = map[string]authn.Authenticator{}
)

func setCredentials(addr string, a authn.Authenticator) {
	credMu.Lock()
	defer credMu.Unlock()
	if a == nil {
		delete(credentials, addr)
		return
	}
	credentials[addr] = a
}

func credentialsFor(addr string) authn.Authenticator {
	credMu.Lock()
	defer credMu.Unlock()
	if a, ok := credentials[addr]; ok {
		return a
	}
	return authn.Anonymous
}

// pushOptions parses ref (plain HTTP allowed) and returns the options for
// remote.Write: a timeout and the registry's credentials, if it has any.
func pushOptions(t testing.TB, ref string) (name.Reference, []remote.Option, context.CancelFunc) {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatalf("parsing reference %q: %v", ref, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), pushTimeout)
	return r, []remote.Option{remote.WithContext(ctx), remote.WithAuth(credentialsFor(r.Context().RegistryStr()))}, cancel
}

// Push uploads img to ref, for example r.Addr+"/busybox:latest". Pushing to a
// registry started with a user sends its credentials.
func Push(t testing.TB, img v1.Image, ref string) {
	t.Helper()
	r, opts, cancel := pushOptions(t, ref)
	defer cancel()
	if err := remote.Write(r, img, opts...); err != nil {
		t.Fatalf("pushing image %s: %v", ref, err)
	}
}

// PushIndex uploads an image index and every image in it to ref.
func PushIndex(t testing.TB, idx v1.ImageIndex, ref string) {
	t.Helper()
	r, opts, cancel := pushOptions(t, ref)
	defer cancel()
	if err := remote.WriteIndex(r, idx, opts...); err != nil {
		t.Fatalf("pushing index %s: %v", ref, err)
	}
}
