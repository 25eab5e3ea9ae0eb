package seccomp

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	goruntime "runtime"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// cacheFormat changes whenever the compiled form of a profile would change for the same
// input (the stub, the rendering of rules): older entries are then never read again.
const cacheFormat = "geedocker-seccomp-v2"

// CompileCached is Compile with a cache of compiled programs in dir, keyed by the SHA-256
// of the evaluated profile (with the format, the architecture and libseccomp's version):
// Docker's profile takes tens of milliseconds to compile and microseconds to read back. An
// entry is written atomically (temporary file, fsync, rename), so a reader sees a whole
// program or none. With dir empty, or when the cache cannot be read or written, it compiles.
func CompileCached(dir string, p *specs.LinuxSeccomp) (Program, error) {
	if p == nil {
		return nil, nil
	}
	if dir == "" {
		return Compile(p)
	}
	key, err := cacheKey(p)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, key+".bpf")
	if b, err := os.ReadFile(path); err == nil && len(b) > 0 && len(b)%instructionSize == 0 {
		return Program(b), nil
	}
	prog, err := Compile(p)
	if err != nil {
		return nil, err
	}
	_ = writeAtomic(dir, path, prog) // only a cache: the next start compiles again
	return prog, nil
}

func cacheKey(p *specs.LinuxSeccomp) (string, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("encoding seccomp profile: %w", err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00", cacheFormat, goruntime.GOARCH, libVersion())
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil)), nil
}

func writeAtomic(dir, path string, b []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		if errors.Is(err, fs.ErrExist) {
			return nil
		}
	}
	return err
}
