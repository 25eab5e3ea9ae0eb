package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/geedocker/geedocker/internal/engine"
	"github.com/geedocker/geedocker/internal/reference"
)

type buildFlags struct {
	tags      []string
	file      string
	target    string
	buildArgs []string
	labels    []string
	noCache   bool
	pull      bool
	quiet     bool
	iidfile   string
	network   string
	allow     []string
	secrets   []string
}

func newBuildCmd(g *globals) *cobra.Command {
	var f buildFlags
	c := &cobra.Command{
		Use:   "build [OPTIONS] PATH | -",
		Short: "Build an image from a Dockerfile",
		Args:  exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return runBuild(c, g, f, args[0])
		},
	}
	fl := c.Flags()
	fl.StringArrayVarP(&f.tags, "tag", "t", nil, `Name and optionally a tag in the "name:tag" format`)
	fl.StringVarP(&f.file, "file", "f", "", `Name of the Dockerfile (default: "PATH/Dockerfile")`)
	fl.StringVar(&f.target, "target", "", "Set the target build stage to build")
	fl.StringArrayVar(&f.buildArgs, "build-arg", nil, "Set build-time variables")
	fl.StringArrayVar(&f.labels, "label", nil, "Set metadata for an image")
	fl.BoolVar(&f.noCache, "no-cache", false, "Do not use cache when building the image")
	fl.BoolVar(&f.pull, "pull", false, "Always attempt to pull a newer version of the image")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "Suppress the build output and print image ID on success")
	fl.StringVar(&f.iidfile, "iidfile", "", "Write the image ID to the file")
	fl.StringVar(&f.network, "network", "default", `Set the networking mode for the RUN instructions during build ("default", "none", "host")`)
	fl.StringArrayVar(&f.allow, "allow", nil, `Allow extra privileged entitlement (e.g., "network.host")`)
	fl.StringArrayVar(&f.secrets, "secret", nil, `Secret to expose to the build (format: "id=mysecret[,src=/local/secret]")`)
	fl.Bool("rm", true, "Remove intermediate containers after a successful build (always)")
	return c
}

func runBuild(c *cobra.Command, g *globals, f buildFlags, ctxArg string) error {
	o := engine.BuildOptions{Target: f.target, NoCache: f.noCache, Pull: f.pull, BuildArgs: map[string]string{}, Labels: map[string]string{}}
	for _, t := range f.tags {
		ref, err := reference.ParseName(t)
		if err != nil {
			return flagError{fmt.Errorf("invalid argument %q for \"-t, --tag\" flag: %w", t, err)}
		}
		o.Tags = append(o.Tags, ref)
	}
	for _, a := range f.buildArgs {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			env, set := os.LookupEnv(k)
			if !set {
				continue // Docker drops an unset variable named alone
			}
			v = env
		}
		o.BuildArgs[k] = v
	}
	for _, l := range f.labels {
		k, v, _ := strings.Cut(l, "=")
		o.Labels[k] = v
	}
	switch f.network {
	case "default", "bridge", "":
	case "none", "host":
		o.Network = f.network
	default:
		return flagError{fmt.Errorf("network mode %q not supported by the builder (use default, none or host)", f.network)}
	}
	for _, a := range f.allow {
		for _, v := range strings.Split(a, ",") {
			switch v = strings.TrimSpace(v); v {
			case "network.host":
				if o.Allow == nil {
					o.Allow = map[string]bool{}
				}
				o.Allow[v] = true
			default:
				return flagError{fmt.Errorf("invalid entitlement: %s", v)}
			}
		}
	}
	for _, v := range f.secrets {
		id, data, err := readBuildSecret(v)
		if err != nil {
			return flagError{err}
		}
		if o.Secrets == nil {
			o.Secrets = map[string][]byte{}
		}
		o.Secrets[id] = data
	}
	if ctxArg == "-" {
		o.ContextTar = g.stdin
		o.DockerfileName = f.file
	} else {
		fi, err := os.Stat(ctxArg)
		if err != nil {
			return fmt.Errorf("unable to prepare context: path %q not found", ctxArg)
		}
		if !fi.IsDir() {
			return fmt.Errorf("unable to prepare context: context must be a directory: %s", ctxArg)
		}
		o.ContextDir = ctxArg
		file := f.file
		if file == "" {
			file = filepath.Join(ctxArg, "Dockerfile")
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("unable to prepare context: unable to evaluate symlinks in Dockerfile path: %w", errors.Unwrap(err))
		}
		o.Dockerfile = b
	}
	o.Out = g.stdout
	if f.quiet {
		o.Out = io.Discard
	}
	e, err := g.engine()
	if err != nil {
		return err
	}
	o.PullImage = func(ctx context.Context, ref string) error {
		pg := *g
		if f.quiet {
			pg.stdout = io.Discard
		}
		_, err := runPull(c, &pg, e, ref, pullOptions{maxConcurrent: 3})
		return err
	}
	id, err := e.Build(c.Context(), o)
	if err != nil {
		var re *engine.BuildRunError
		if errors.As(err, &re) {
			fmt.Fprintln(g.stderr, re.Error())
			return &StatusError{Code: 1}
		}
		return err
	}
	if f.iidfile != "" {
		if err := os.WriteFile(f.iidfile, []byte(id), 0o644); err != nil {
			return fmt.Errorf("writing the image ID file: %w", err)
		}
	}
	if f.quiet {
		fmt.Fprintln(g.stdout, id)
		return nil
	}
	fmt.Fprintf(g.stdout, "Successfully built %s\n", strings.TrimPrefix(id, "sha256:")[:12])
	for _, t := range o.Tags {
		fmt.Fprintf(g.stdout, "Successfully tagged %s\n", t.Familiar())
	}
	return nil
}

// readBuildSecret reads a --secret value, as buildx does:
// id=ID[,src=FILE | ,env=VAR][,type=file|env]; without src or env, the
// variable named ID, else the file named ID.
func readBuildSecret(v string) (string, []byte, error) {
	var id, src, env, typ string
	for _, field := range strings.Split(v, ",") {
		key, val, ok := strings.Cut(field, "=")
		if !ok {
			return "", nil, fmt.Errorf("invalid secret %q: %q is not key=value", v, field)
		}
		switch strings.ToLower(key) {
		case "id":
			id = val
		case "src", "source":
			src = val
		case "env":
			env = val
		case "type":
			if val != "file" && val != "env" {
				return "", nil, fmt.Errorf("invalid secret %q: unsupported type %q", v, val)
			}
			typ = val
		default:
			return "", nil, fmt.Errorf("invalid secret %q: unexpected key %q", v, key)
		}
	}
	if id == "" {
		id = src
		if id == "" {
			id = env
		}
	}
	if id == "" {
		return "", nil, fmt.Errorf("invalid secret %q: an id is required", v)
	}
	if src == "" && env == "" {
		if _, set := os.LookupEnv(id); typ == "env" || typ == "" && set {
			env = id
		} else {
			src = id
		}
	}
	if typ == "env" && env == "" {
		env = src
		src = ""
	}
	if env != "" && src == "" {
		val, set := os.LookupEnv(env)
		if !set {
			return "", nil, fmt.Errorf("secret %s: environment variable %s is not set", id, env)
		}
		return id, []byte(val), nil
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return "", nil, fmt.Errorf("failed to read secret %s from %s: %w", id, src, err)
	}
	return id, data, nil
}
