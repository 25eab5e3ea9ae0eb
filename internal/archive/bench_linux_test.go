//go:build linux

package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// benchLayer is a tar of 20,000 small files in 200 nested directories plus
// four 16 MiB files, built once.
var benchLayer = sync.OnceValue(func() []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	content := make([]byte, 16<<20)
	for i := range content {
		content[i] = byte(rng.Uint32())
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	write := func(h *tar.Header, body []byte) {
		// Whole seconds and no PAX records, as in most image layers.
		h.ModTime = epoch.Truncate(time.Second)
		if err := tw.WriteHeader(h); err != nil {
			panic(err)
		}
		if _, err := tw.Write(body); err != nil {
			panic(err)
		}
	}
	for top := range 20 {
		write(&tar.Header{Typeflag: tar.TypeDir, Name: fmt.Sprintf("usr/lib%02d/", top), Mode: 0o755}, nil)
		for sub := range 10 {
			d := fmt.Sprintf("usr/lib%02d/pkg%02d/", top, sub)
			write(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: 0o755}, nil)
			for f := range 100 {
				size := rng.IntN(4096)
				write(&tar.Header{Typeflag: tar.TypeReg, Name: d + "file" + strconv.Itoa(f), Mode: 0o644, Size: int64(size)}, content[:size])
			}
		}
	}
	for i := range 4 {
		write(&tar.Header{Typeflag: tar.TypeReg, Name: fmt.Sprintf("opt/big%d", i), Mode: 0o644, Size: int64(len(content))}, content)
	}
	if err := tw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
})

// BenchmarkApply unpacks benchLayer into a fresh directory per iteration.
func BenchmarkApply(b *testing.B) {
	layer := benchLayer()
	base := b.TempDir()
	b.SetBytes(int64(len(layer)))
	var cpu time.Duration
	defer func() { reportCPU(b, cpu) }()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		dir := filepath.Join(base, strconv.Itoa(i))
		if err := os.Mkdir(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		start := cpuTime()
		if _, err := Apply(context.Background(), dir, bytes.NewReader(layer), Options{}); err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - start
		b.StopTimer()
		if err := os.RemoveAll(dir); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// BenchmarkTarCommand unpacks the same layer with tar -x, for comparison.
func BenchmarkTarCommand(b *testing.B) {
	tarPath, err := exec.LookPath("tar")
	if err != nil {
		b.Skip("tar is not installed")
	}
	layer := benchLayer()
	base := b.TempDir()
	src := filepath.Join(base, "layer.tar")
	if err := os.WriteFile(src, layer, 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(layer)))
	var cpu time.Duration
	defer func() { reportCPU(b, cpu) }()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		dir := filepath.Join(base, strconv.Itoa(i))
		if err := os.Mkdir(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		cmd := exec.Command(tarPath, "-xf", src, "-C", dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("tar: %v: %s", err, out)
		}
		cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		b.StopTimer()
		if err := os.RemoveAll(dir); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// BenchmarkApplyLayerFile decompresses and unpacks a real layer blob named
// by $ARCHIVE_BENCH_LAYER (gzip, zstd or tar), e.g. a Debian rootfs.
func BenchmarkApplyLayerFile(b *testing.B) {
	src := os.Getenv("ARCHIVE_BENCH_LAYER")
	if src == "" {
		b.Skip("set ARCHIVE_BENCH_LAYER to a layer blob")
	}
	base := b.TempDir()
	st, err := os.Stat(src)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	var cpu time.Duration
	defer func() { reportCPU(b, cpu) }()
	for i := 0; b.Loop(); i++ {
		dir := filepath.Join(base, strconv.Itoa(i))
		if err := os.Mkdir(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		f, err := os.Open(src)
		if err != nil {
			b.Fatal(err)
		}
		start := cpuTime()
		rc, err := Decompress(f)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Apply(context.Background(), dir, rc, Options{}); err != nil {
			b.Fatal(err)
		}
		rc.Close()
		f.Close()
		cpu += cpuTime() - start
		b.StopTimer()
		if err := os.RemoveAll(dir); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// cpuTime returns the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports CPU time per operation, which other load on the machine
// disturbs less than wall time.
func reportCPU(b *testing.B, cpu time.Duration) {
	if b.N > 0 {
		b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
	}
}
