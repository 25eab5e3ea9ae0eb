// Command bench is the helper of scripts/bench.sh: it makes the benchmark's
// image layers, pushes images to the local registry, and reads hyperfine's
// results. Everything it writes is deterministic, so the layers it makes
// have the same digests on every machine and every run.
//
//	bench gen -kind text|random -seed N -files N -min BYTES -max BYTES -dir NAME OUT.tar
//	bench split -to-b PREFIX[,PREFIX...] IN.tar A.tar B.tar
//	bench push -ref HOST:PORT/REPO:TAG [-cmd ARG,...] LAYER.tar.gz...
//	bench port
//	bench stats HYPERFINE.json
//	bench summary [-from N] [-to N] [-scale X] FILE
//
// gen writes a tar of generated files: "text" files compress about four to
// one like source code, "random" files do not compress at all. split routes
// the entries of a tar into two tars by path prefix (a hard link follows its
// target), so one root file system becomes two layers. push makes a Docker
// schema 2 image of the given gzip layers and writes it to a registry over
// plain HTTP. port prints a free TCP port on 127.0.0.1. stats prints one
// tab-separated line per hyperfine result: name, median, mean, stddev, min,
// max (seconds). summary reads one number a line (times the script took
// itself, memory figures) and prints count, median, mean, min and max of
// lines -from to -to, each multiplied by -scale, tab-separated.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: bench gen|split|push|port|stats|summary ...")
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "gen":
		return cmdGen(args)
	case "split":
		return cmdSplit(args)
	case "push":
		return cmdPush(args, out)
	case "port":
		return cmdPort(out)
	case "stats":
		return cmdStats(args, out)
	case "summary":
		return cmdSummary(args, out)
	}
	return fmt.Errorf("unknown command %q", cmd)
}

func cmdGen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	var s genSpec
	fs.StringVar(&s.Kind, "kind", "text", "text or random")
	fs.Uint64Var(&s.Seed, "seed", 1, "seed of the generator")
	fs.IntVar(&s.Files, "files", 100, "number of files")
	fs.IntVar(&s.Min, "min", 1024, "smallest file size in bytes")
	fs.IntVar(&s.Max, "max", 4096, "largest file size in bytes")
	fs.StringVar(&s.Dir, "dir", "data", "top directory of the files in the tar")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("gen: want one output file")
	}
	return writeFile(fs.Arg(0), func(w io.Writer) error { return s.write(w) })
}

func cmdSplit(args []string) error {
	fs := flag.NewFlagSet("split", flag.ContinueOnError)
	toB := fs.String("to-b", "", "comma-separated path prefixes whose entries go to the second tar")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 3 || *toB == "" {
		return errors.New("split: want -to-b PREFIXES IN.tar A.tar B.tar")
	}
	in, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer in.Close()
	return writeFile(fs.Arg(1), func(a io.Writer) error {
		return writeFile(fs.Arg(2), func(b io.Writer) error {
			return split(in, a, b, strings.Split(*toB, ","))
		})
	})
}

func cmdPush(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("push", flag.ContinueOnError)
	ref := fs.String("ref", "", "image reference to write (plain HTTP)")
	cmdArgs := fs.String("cmd", "sh", "comma-separated CMD of the image")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *ref == "" || fs.NArg() == 0 {
		return errors.New("push: want -ref REF LAYER.tar.gz...")
	}
	r, err := name.ParseReference(*ref, name.Insecure)
	if err != nil {
		return fmt.Errorf("parsing reference %q: %w", *ref, err)
	}
	var layers []v1.Layer
	for _, p := range fs.Args() {
		l, err := tarball.LayerFromFile(p)
		if err != nil {
			return fmt.Errorf("reading layer %s: %w", p, err)
		}
		layers = append(layers, l)
	}
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		return fmt.Errorf("assembling image: %w", err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cfg = cfg.DeepCopy()
	cfg.OS = "linux"
	cfg.Architecture = runtime.GOARCH
	cfg.Config.Cmd = strings.Split(*cmdArgs, ",")
	cfg.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		return fmt.Errorf("setting image config: %w", err)
	}
	if err := remote.Write(r, img, remote.WithContext(context.Background())); err != nil {
		return fmt.Errorf("pushing %s: %w", *ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s@%s\n", *ref, d)
	return nil
}

func cmdPort(out io.Writer) error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	fmt.Fprintln(out, l.Addr().(*net.TCPAddr).Port)
	return nil
}

// hyperfineResult is the part of one entry of hyperfine's --export-json that
// the benchmark reports.
type hyperfineResult struct {
	Command string  `json:"command"`
	Mean    float64 `json:"mean"`
	Stddev  float64 `json:"stddev"`
	Median  float64 `json:"median"`
	Min     float64 `json:"min"`
	Max     float64 `json:"max"`
}

func cmdStats(args []string, out io.Writer) error {
	if len(args) != 1 {
		return errors.New("stats: want one hyperfine JSON file")
	}
	f, err := os.Open(args[0])
	if err != nil {
		return err
	}
	defer f.Close()
	var doc struct {
		Results []hyperfineResult `json:"results"`
	}
	if err := json.NewDecoder(f).Decode(&doc); err != nil {
		return fmt.Errorf("reading %s: %w", args[0], err)
	}
	for _, r := range doc.Results {
		fmt.Fprintf(out, "%s\t%.6f\t%.6f\t%.6f\t%.6f\t%.6f\n", r.Command, r.Median, r.Mean, r.Stddev, r.Min, r.Max)
	}
	return nil
}

func cmdSummary(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("summary", flag.ContinueOnError)
	from := fs.Int("from", 1, "first line (1-based)")
	to := fs.Int("to", 0, "last line, inclusive (0: the last line of the file)")
	scale := fs.Float64("scale", 1, "factor applied to every figure printed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("summary: want one file of numbers, one a line")
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	vs, err := readSeries(f, *from, *to)
	if err != nil {
		return fmt.Errorf("reading %s: %w", fs.Arg(0), err)
	}
	s := summarize(vs)
	k := *scale
	fmt.Fprintf(out, "%d\t%.6f\t%.6f\t%.6f\t%.6f\n", s.Count, s.Median*k, s.Mean*k, s.Min*k, s.Max*k)
	return nil
}

// writeFile writes path through fn via a temporary file renamed into place,
// so an interrupted run never leaves a truncated file that a later run
// would take for a finished one.
func writeFile(path string, fn func(io.Writer) error) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if err := fn(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}
