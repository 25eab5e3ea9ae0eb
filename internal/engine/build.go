package engine

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/geedocker/geedocker/internal/archive"
	"github.com/geedocker/geedocker/internal/build"
	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/idmap"
	"github.com/geedocker/geedocker/internal/reference"
	"github.com/geedocker/geedocker/internal/spec"
	"github.com/geedocker/geedocker/internal/store"
)

// BuildOptions configure `build`.
type BuildOptions struct {
	ContextDir string    // the build context, a directory
	ContextTar io.Reader // or a tar stream of it (plain or compressed)
	// Dockerfile is the Dockerfile's content; when nil it is read from
	// DockerfileName ("Dockerfile" by default) in the context.
	Dockerfile     []byte
	DockerfileName string
	Tags           []reference.Reference
	Target         string            // --target: the last stage built
	BuildArgs      map[string]string // --build-arg, resolved
	Labels         map[string]string // --label
	NoCache        bool
	Pull           bool // --pull: pull FROM images even when present
	// PullImage pulls a missing base image (the CLI shows the progress).
	PullImage func(ctx context.Context, ref string) error
	// Network of RUN containers: "" for the default network, "none", "host".
	Network string
	// Allow are the entitlements granted with --allow: "network.host" lets
	// RUN --network=host run.
	Allow map[string]bool
	// Secrets are the --secret values: contents by id, for RUN
	// --mount=type=secret.
	Secrets map[string][]byte
	// Out receives the progress, one line per step as Docker's classic
	// builder prints it, and the output of RUN.
	Out io.Writer
}

// BuildRunError is a RUN whose command failed.
type BuildRunError struct {
	Command string
	Code    int
}

func (e *BuildRunError) Error() string {
	// A heredoc's lines are shown as \n: the error stays one line.
	return fmt.Sprintf("The command '%s' returned a non-zero code: %d", strings.ReplaceAll(e.Command, "\n", `\n`), e.Code)
}

// PruneBuildCache drops the build cache and the layers only it used, and
// returns how many cache records it removed.
func (e *Engine) PruneBuildCache() (int, error) {
	n, err := e.Store.PruneBuildCache()
	if err != nil {
		return n, err
	}
	m, _, err := e.pruneCacheMounts(func(time.Time) bool { return true })
	n += len(m)
	if err != nil {
		return n, err
	}
	return n, e.GC()
}

// buildContainerPrefix names the containers of RUN steps.
const buildContainerPrefix = "geedocker-build-"

// builder is one build.
type builder struct {
	e      *Engine
	o      BuildOptions
	df     *build.Dockerfile
	x      *build.Expander
	ctx    *build.DirTree
	stages []*stageState
	meta   map[string]string // ARGs before the first FROM, with --build-arg applied
	used   map[string]bool   // build args consumed
	step   int
	total  int
	quiet  bool // no progress lines (the --label step)
}

// stageState is a stage's image as its steps change it.
type stageState struct {
	name   string
	im     *store.Image
	cfg    *v1.ConfigFile
	args   map[string]string // ARGs in scope with a value
	setCmd bool              // the stage set CMD itself
}

// Build builds the Dockerfile and returns the image ID. Nothing is tagged,
// and no image record is written, unless every step succeeded.
func (e *Engine) Build(ctx context.Context, o BuildOptions) (string, error) {
	if o.Out == nil {
		o.Out = io.Discard
	}
	w, err := e.Store.BeginWrite()
	if err != nil {
		return "", err
	}
	defer w.Close()
	if o.ContextTar != nil {
		dir, err := e.Store.TempDir("build-context-")
		if err != nil {
			return "", err
		}
		defer os.RemoveAll(dir)
		rc, err := archive.Decompress(o.ContextTar)
		if err != nil {
			return "", fmt.Errorf("reading the build context: %w", err)
		}
		_, err = archive.Apply(ctx, dir, rc, archive.Options{Files: true})
		rc.Close()
		if err != nil {
			return "", fmt.Errorf("reading the build context: %w", err)
		}
		o.ContextDir = dir
	}
	if o.Dockerfile == nil {
		name := o.DockerfileName
		if name == "" {
			name = "Dockerfile"
		}
		e, err := build.Resolve(&build.DirTree{Dir: o.ContextDir}, name)
		if err == nil && !e.Info.Mode().IsRegular() {
			err = fmt.Errorf("not a regular file")
		}
		if err == nil {
			o.Dockerfile, err = os.ReadFile(e.Host)
		}
		if err != nil {
			return "", fmt.Errorf("Cannot locate specified Dockerfile: %s", name)
		}
	}
	df, err := build.Parse(o.Dockerfile)
	if err != nil {
		return "", err
	}
	ig, err := build.ReadIgnore(o.ContextDir)
	if err != nil {
		return "", err
	}
	b := &builder{e: e, o: o, df: df, x: build.NewExpander(df.Escape),
		ctx: &build.DirTree{Dir: o.ContextDir, Ignore: ig}, used: map[string]bool{}}
	last := len(df.Stages) - 1
	if o.Target != "" {
		i, ok := instructions.HasStage(df.Stages, o.Target)
		if !ok {
			return "", fmt.Errorf("failed to reach build target %s in Dockerfile", o.Target)
		}
		last = i
	}
	for _, s := range df.Stages[:last+1] {
		b.total += 1 + len(s.Commands)
	}
	if err := b.metaArgs(); err != nil {
		return "", err
	}
	// Repair what a killed build left: its RUN containers are removed.
	if err := e.Repair(); err != nil {
		return "", err
	}
	for i := range df.Stages[:last+1] {
		if err := b.stage(ctx, &df.Stages[i]); err != nil {
			return "", err
		}
	}
	st := b.stages[last]
	if len(o.Labels) > 0 {
		b.quiet = true // not a step of the Dockerfile
		keys := make([]string, 0, len(o.Labels))
		for k := range o.Labels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, strconv.Quote(k)+"="+strconv.Quote(o.Labels[k]))
		}
		text := "LABEL " + strings.Join(parts, " ")
		err := b.configStep(st, text, func(c *v1.Config) error {
			if c.Labels == nil {
				c.Labels = map[string]string{}
			}
			for k, v := range o.Labels {
				c.Labels[k] = v
			}
			return nil
		})
		if err != nil {
			return "", err
		}
	}
	var unused []string
	for k := range o.BuildArgs {
		if !b.used[k] && !build.PredefinedArgs[k] {
			unused = append(unused, k)
		}
	}
	if len(unused) > 0 {
		sort.Strings(unused)
		b.quiet = false
		fmt.Fprintf(o.Out, "[Warning] One or more build-args [%s] were not consumed\n", strings.Join(unused, " "))
	}
	im := *st.im
	now := time.Now().UTC()
	im.Added = now
	if old, err := e.Store.Image(im.ID); err == nil {
		im.Added = old.Added
	}
	if err := e.Store.PutImage(&im); err != nil {
		return "", err
	}
	for _, t := range o.Tags {
		if err := e.Store.Tag(im.ID, t.Name()+":"+t.Tag); err != nil {
			return "", err
		}
		e.emitImage("tag", im.ID, t.Familiar())
	}
	return im.ID, nil
}

// platformArgs are the automatic platform ARGs, as BuildKit defines them.
func platformArgs() map[string]string {
	p := HostPlatform()
	plat := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		plat += "/" + p.Variant
	}
	return map[string]string{
		"BUILDPLATFORM": plat, "BUILDOS": p.OS, "BUILDARCH": p.Architecture, "BUILDVARIANT": p.Variant,
		"TARGETPLATFORM": plat, "TARGETOS": p.OS, "TARGETARCH": p.Architecture, "TARGETVARIANT": p.Variant,
	}
}

// metaArgs evaluates the ARGs before the first FROM.
func (b *builder) metaArgs() error {
	b.meta = platformArgs()
	for _, a := range b.df.MetaArgs {
		for _, kv := range a.Args {
			val, have := "", false
			if kv.Value != nil {
				v, err := b.x.Func(envOf(b.meta))(*kv.Value)
				if err != nil {
					return fmt.Errorf("ARG %s: %w", kv.Key, err)
				}
				val, have = v, true
			}
			if v, ok := b.o.BuildArgs[kv.Key]; ok {
				val, have = v, true
				b.used[kv.Key] = true
			}
			if have {
				b.meta[kv.Key] = val
			}
		}
	}
	return nil
}

// expander expands words in env.
func (b *builder) expander(env []string) instructions.SingleWordExpander {
	return b.x.Func(env)
}

func envOf(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

func (b *builder) printf(format string, a ...any) {
	if !b.quiet {
		fmt.Fprintf(b.o.Out, format, a...)
	}
}

func (b *builder) stepLine(text string) {
	b.step++
	b.printf("Step %d/%d : %s\n", b.step, b.total, text)
}

// stage builds one stage.
func (b *builder) stage(ctx context.Context, s *instructions.Stage) error {
	b.stepLine(strings.TrimSpace(s.SourceCode))
	st, err := b.from(ctx, s)
	if err != nil {
		return err
	}
	b.stages = append(b.stages, st)
	b.printf(" ---> %s\n", shortID(st.im.ID))
	if triggers := st.cfg.Config.OnBuild; len(triggers) > 0 {
		b.printf("# Executing %d build trigger", len(triggers))
		if len(triggers) > 1 {
			b.printf("s")
		}
		b.printf("\n")
		// Triggers run once: the images made from here on do not carry them.
		st.cfg = cloneConfig(st.cfg)
		st.cfg.Config.OnBuild = nil
		for _, t := range triggers {
			cmd, err := build.ParseInstruction(t)
			if err != nil {
				return err
			}
			if err := b.command(ctx, st, cmd); err != nil {
				return err
			}
		}
		b.printf(" ---> %s\n", shortID(st.im.ID))
	}
	for _, cmd := range s.Commands {
		b.stepLine(cmdText(cmd))
		if err := b.command(ctx, st, cmd); err != nil {
			var re *BuildRunError
			if errors.As(err, &re) || errors.Is(err, context.Canceled) {
				return err
			}
			if line := build.Line(cmd); line > 0 {
				return fmt.Errorf("Dockerfile line %d: %s: %w", line, strings.ToUpper(cmd.Name()), err)
			}
			return err
		}
		b.printf(" ---> %s\n", shortID(st.im.ID))
	}
	return nil
}

// from resolves a stage's base: an earlier stage, scratch, or an image.
func (b *builder) from(ctx context.Context, s *instructions.Stage) (*stageState, error) {
	st := &stageState{name: s.Name, args: map[string]string{}}
	x := b.expander(envOf(b.meta))
	base, err := x(s.BaseName)
	if err != nil {
		return nil, fmt.Errorf("FROM %s: %w", s.BaseName, err)
	}
	if s.Platform != "" {
		plat, err := x(s.Platform)
		if err != nil {
			return nil, err
		}
		want, err := v1.ParsePlatform(plat)
		if err != nil {
			return nil, fmt.Errorf("FROM --platform=%s: %w", plat, err)
		}
		host := HostPlatform()
		if want.OS != host.OS || want.Architecture != host.Architecture {
			return nil, fmt.Errorf("FROM --platform=%s: only the host's platform (%s) can be built", plat, formatPlatform(host))
		}
	}
	for _, prev := range b.stages {
		if prev.name != "" && strings.EqualFold(prev.name, base) {
			st.im, st.cfg = prev.im, cloneConfig(prev.cfg)
			return st, nil
		}
	}
	if strings.EqualFold(base, "scratch") {
		p := HostPlatform()
		cf := &v1.ConfigFile{Architecture: p.Architecture, OS: p.OS, Variant: p.Variant, RootFS: v1.RootFS{Type: "layers"}}
		id, err := b.putConfig(cf)
		if err != nil {
			return nil, err
		}
		st.im, st.cfg = &store.Image{ID: id}, cf
		return st, nil
	}
	im, err := b.baseImage(ctx, base)
	if err != nil {
		return nil, err
	}
	cfg, err := b.e.ImageConfig(im)
	if err != nil {
		return nil, err
	}
	st.im, st.cfg = im, cfg
	return st, nil
}

// baseImage finds (or pulls) the image of a FROM or COPY --from.
func (b *builder) baseImage(ctx context.Context, name string) (*store.Image, error) {
	if b.o.Pull && b.o.PullImage != nil {
		if _, err := reference.Parse(name); err == nil {
			if err := b.o.PullImage(ctx, name); err != nil {
				return nil, err
			}
		}
	}
	im, _, err := b.e.Lookup(name)
	if errors.Is(err, ErrNoSuchImage) && b.o.PullImage != nil && !b.o.Pull {
		if perr := b.o.PullImage(ctx, name); perr != nil {
			return nil, perr
		}
		im, _, err = b.e.Lookup(name)
	}
	return im, err
}

// cloneConfig deep-copies an image config.
func cloneConfig(c *v1.ConfigFile) *v1.ConfigFile {
	bs, _ := json.Marshal(c)
	var out v1.ConfigFile
	json.Unmarshal(bs, &out)
	return &out
}

func (b *builder) putConfig(cf *v1.ConfigFile) (string, error) {
	bs, err := json.Marshal(cf)
	if err != nil {
		return "", err
	}
	id := store.Digest(bs)
	return id, b.e.Store.PutBlob(id, bs)
}

// env is the environment words are expanded in: the stage's ARGs, then
// its ENV (which wins).
func (st *stageState) env() []string {
	m := map[string]string{}
	for k, v := range st.args {
		m[k] = v
	}
	for _, kv := range st.cfg.Config.Env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return envOf(m)
}

// argEnv are the ARG values a RUN sees: those not set by ENV, less the
// predefined proxy args (kept out of keys and history, given to the
// command all the same).
func (b *builder) argEnv(st *stageState) (keyed, all []string) {
	inEnv := map[string]bool{}
	for _, kv := range st.cfg.Config.Env {
		k, _, _ := strings.Cut(kv, "=")
		inEnv[k] = true
	}
	args := map[string]string{}
	for k, v := range b.o.BuildArgs {
		if build.PredefinedArgs[k] {
			args[k] = v // usable without an ARG
		}
	}
	for k, v := range st.args {
		args[k] = v
	}
	for _, kv := range envOf(args) {
		k, _, _ := strings.Cut(kv, "=")
		if inEnv[k] {
			continue
		}
		all = append(all, kv)
		if !build.PredefinedArgs[k] {
			keyed = append(keyed, kv)
		}
	}
	return keyed, all
}

// cached looks key up; on a hit st moves to the cached state.
func (b *builder) cached(st *stageState, key string) (bool, error) {
	if b.o.NoCache {
		return false, nil
	}
	im, err := b.e.Store.CacheEntry(key)
	if err != nil {
		return false, nil
	}
	cfg, err := b.e.ImageConfig(im)
	if err != nil {
		return false, nil
	}
	st.im, st.cfg = im, cfg
	b.printf(" ---> Using cache\n")
	return true, nil
}

// commit makes the next state of st: its config with a history entry and,
// when layer is not nil, the layer on top; and records it under key.
func (b *builder) commit(st *stageState, key, createdBy string, layer *store.Layer) error {
	cfg := cloneConfig(st.cfg)
	now := time.Now().UTC()
	cfg.Created = v1.Time{Time: now}
	cfg.History = append(cfg.History, v1.History{Created: v1.Time{Time: now}, CreatedBy: createdBy, EmptyLayer: layer == nil})
	im := &store.Image{Layers: append([]store.Layer(nil), st.im.Layers...), Size: st.im.Size, Created: now}
	if layer != nil {
		h, err := v1.NewHash(layer.DiffID)
		if err != nil {
			return err
		}
		cfg.RootFS.Type = "layers"
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, h)
		im.Layers = append(im.Layers, *layer)
		im.Size += layer.Size
	}
	id, err := b.putConfig(cfg)
	if err != nil {
		return err
	}
	im.ID = id
	if err := b.e.Store.PutCacheEntry(key, im); err != nil {
		return err
	}
	st.im, st.cfg = im, cfg
	return nil
}

// configStep is a step that changes only the config.
func (b *builder) configStep(st *stageState, text string, change func(*v1.Config) error) error {
	return b.configFileStep(st, text, func(cf *v1.ConfigFile) error { return change(&cf.Config) })
}

// configFileStep is configStep with the whole config file at hand.
func (b *builder) configFileStep(st *stageState, text string, change func(*v1.ConfigFile) error) error {
	key := build.CacheKey(st.im.ID, text, "")
	if hit, err := b.cached(st, key); hit || err != nil {
		return err
	}
	next := cloneConfig(st.cfg)
	if err := change(next); err != nil {
		return err
	}
	prev := st.cfg
	st.cfg = next
	if err := b.commit(st, key, "/bin/sh -c #(nop) "+text, nil); err != nil {
		st.cfg = prev
		return err
	}
	return nil
}

// shellArgs turns a shell or exec form command line into arguments.
func shellArgs(cfg *v1.Config, cl instructions.ShellDependantCmdLine) []string {
	if !cl.PrependShell {
		return append([]string(nil), cl.CmdLine...)
	}
	sh := cfg.Shell
	if len(sh) == 0 {
		sh = []string{"/bin/sh", "-c"}
	}
	return append(append([]string(nil), sh...), strings.Join(cl.CmdLine, " "))
}

// cmdText is the instruction as written in the Dockerfile.
func cmdText(c instructions.Command) string {
	if s, ok := c.(fmt.Stringer); ok {
		return s.String()
	}
	return strings.ToUpper(c.Name())
}

func jsonText(v any) string {
	bs, _ := json.Marshal(v)
	return string(bs)
}

// command runs one instruction.
func (b *builder) command(ctx context.Context, st *stageState, cmd instructions.Command) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	env := st.env()
	if ex, ok := cmd.(instructions.SupportsSingleWordExpansion); ok {
		if err := ex.Expand(b.expander(env)); err != nil {
			return err
		}
	}
	switch c := cmd.(type) {
	case *instructions.EnvCommand:
		var parts []string
		for _, kv := range c.Env {
			parts = append(parts, kv.Key+"="+kv.Value)
		}
		return b.configStep(st, "ENV "+strings.Join(parts, " "), func(cfg *v1.Config) error {
			for _, kv := range c.Env {
				cfg.Env = setEnv(cfg.Env, kv.Key+"="+kv.Value)
			}
			return nil
		})
	case *instructions.LabelCommand:
		var parts []string
		for _, kv := range c.Labels {
			parts = append(parts, strconv.Quote(kv.Key)+"="+strconv.Quote(kv.Value))
		}
		return b.configStep(st, "LABEL "+strings.Join(parts, " "), func(cfg *v1.Config) error {
			if cfg.Labels == nil {
				cfg.Labels = map[string]string{}
			}
			for _, kv := range c.Labels {
				cfg.Labels[kv.Key] = kv.Value
			}
			return nil
		})
	case *instructions.MaintainerCommand:
		return b.configFileStep(st, "MAINTAINER "+c.Maintainer, func(cf *v1.ConfigFile) error { cf.Author = c.Maintainer; return nil })
	case *instructions.CmdCommand:
		args := shellArgs(&st.cfg.Config, c.ShellDependantCmdLine)
		st.setCmd = true
		return b.configStep(st, "CMD "+jsonText(args), func(cfg *v1.Config) error { cfg.Cmd = args; return nil })
	case *instructions.EntrypointCommand:
		args := shellArgs(&st.cfg.Config, c.ShellDependantCmdLine)
		resetCmd := !st.setCmd
		return b.configStep(st, "ENTRYPOINT "+jsonText(args), func(cfg *v1.Config) error {
			cfg.Entrypoint = args
			if resetCmd {
				cfg.Cmd = nil // a CMD of the base does not fit a new entrypoint
			}
			return nil
		})
	case *instructions.ExposeCommand:
		var ports []string
		for _, p := range c.Ports {
			w, err := b.expander(env)(p)
			if err != nil {
				return err
			}
			for _, f := range strings.Fields(w) {
				ps, err := exposedPorts(f)
				if err != nil {
					return err
				}
				ports = append(ports, ps...)
			}
		}
		return b.configStep(st, "EXPOSE "+strings.Join(ports, " "), func(cfg *v1.Config) error {
			if cfg.ExposedPorts == nil {
				cfg.ExposedPorts = map[string]struct{}{}
			}
			for _, p := range ports {
				cfg.ExposedPorts[p] = struct{}{}
			}
			return nil
		})
	case *instructions.VolumeCommand:
		return b.configStep(st, "VOLUME "+jsonText(c.Volumes), func(cfg *v1.Config) error {
			if cfg.Volumes == nil {
				cfg.Volumes = map[string]struct{}{}
			}
			for _, v := range c.Volumes {
				if v == "" {
					return fmt.Errorf("VOLUME specified can not be an empty string")
				}
				cfg.Volumes[v] = struct{}{}
			}
			return nil
		})
	case *instructions.StopSignalCommand:
		return b.configStep(st, "STOPSIGNAL "+c.Signal, func(cfg *v1.Config) error { cfg.StopSignal = c.Signal; return nil })
	case *instructions.UserCommand:
		return b.configStep(st, "USER "+c.User, func(cfg *v1.Config) error { cfg.User = c.User; return nil })
	case *instructions.ShellCommand:
		return b.configStep(st, "SHELL "+jsonText(c.Shell), func(cfg *v1.Config) error { cfg.Shell = c.Shell; return nil })
	case *instructions.OnbuildCommand:
		return b.configStep(st, "ONBUILD "+c.Expression, func(cfg *v1.Config) error {
			cfg.OnBuild = append(cfg.OnBuild, c.Expression)
			return nil
		})
	case *instructions.HealthCheckCommand:
		h := c.Health
		hc := &v1.HealthConfig{Test: h.Test, Interval: h.Interval, Timeout: h.Timeout, StartPeriod: h.StartPeriod, Retries: h.Retries}
		return b.configStep(st, "HEALTHCHECK "+jsonText(hc), func(cfg *v1.Config) error { cfg.Healthcheck = hc; return nil })
	case *instructions.ArgCommand:
		return b.arg(st, c)
	case *instructions.WorkdirCommand:
		return b.workdir(ctx, st, c)
	case *instructions.RunCommand:
		return b.run(ctx, st, c)
	case *instructions.CopyCommand:
		return b.copy(ctx, st, copySpec{src: c.SourcesAndDest, from: c.From, chown: c.Chown, chmod: c.Chmod, text: cmdText(c),
			exclude: c.ExcludePatterns, parents: c.Parents})
	case *instructions.AddCommand:
		return b.copy(ctx, st, copySpec{src: c.SourcesAndDest, chown: c.Chown, chmod: c.Chmod, text: cmdText(c), add: true,
			exclude: c.ExcludePatterns})
	}
	return fmt.Errorf("%s is not supported", strings.ToUpper(cmd.Name()))
}

// arg declares build arguments in the stage.
func (b *builder) arg(st *stageState, c *instructions.ArgCommand) error {
	var names []string
	for _, kv := range c.Args {
		val, have := "", false
		if kv.Value != nil {
			val, have = *kv.Value, true
		} else if v, ok := b.meta[kv.Key]; ok {
			val, have = v, true // the value of the ARG before FROM
		}
		if v, ok := b.o.BuildArgs[kv.Key]; ok {
			val, have = v, true
			b.used[kv.Key] = true
		}
		if have {
			st.args[kv.Key] = val
		}
		names = append(names, kv.String())
	}
	return b.configStep(st, "ARG "+strings.Join(names, " "), func(*v1.Config) error { return nil })
}

// workdir sets the working directory and makes it when the image lacks it.
func (b *builder) workdir(ctx context.Context, st *stageState, c *instructions.WorkdirCommand) error {
	dir := c.Path
	if !path.IsAbs(dir) {
		cur := st.cfg.Config.WorkingDir
		if cur == "" {
			cur = "/"
		}
		dir = path.Join(cur, dir)
	}
	dir = path.Clean(dir)
	if err := b.configStep(st, "WORKDIR "+dir, func(cfg *v1.Config) error { cfg.WorkingDir = dir; return nil }); err != nil {
		return err
	}
	cp := &build.Copier{Below: b.e.Store.LowerDirs(st.im)}
	if dir == "/" || cp.DestIsDir(dir) {
		return nil
	}
	key := build.CacheKey(st.im.ID, "mkdir "+dir, "")
	if hit, err := b.cached(st, key); hit || err != nil {
		return err
	}
	layer, err := b.newLayer(ctx, st, func(d string) error {
		cp.Dst = d
		return cp.MakeDir(dir)
	})
	if err != nil {
		return err
	}
	return b.commit(st, key, "/bin/sh -c mkdir -p "+dir, layer)
}

// newLayer makes a layer on top of st's image: fill writes its files into an
// empty directory, whose tar stream is then unpacked as a layer, so that the
// layer, like a pulled one, can be pushed and saved byte for byte.
func (b *builder) newLayer(ctx context.Context, st *stageState, fill func(dir string) error) (*store.Layer, error) {
	dir, err := b.e.Store.TempDir("build-layer-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := fill(dir); err != nil {
		return nil, err
	}
	return b.ingestDiff(ctx, st, dir)
}

// ingestDiff unpacks the tar stream of dir (archive.Diff) as a new layer on top of st's image.
func (b *builder) ingestDiff(ctx context.Context, st *stageState, dir string) (*store.Layer, error) {
	return b.ingestDiffWith(ctx, st, dir, nil)
}

// ingestDiffWith is ingestDiff with every header of the layer passed through shift (when not
// nil).
func (b *builder) ingestDiffWith(ctx context.Context, st *stageState, dir string, shift func(*tar.Header)) (*store.Layer, error) {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(archive.Diff(ctx, dir, pw)) }()
	ing, err := b.e.Store.NewLayerIngest()
	if err != nil {
		pr.CloseWithError(err)
		return nil, err
	}
	layerTar, stopShift := shiftingReader(ctx, pr, shift)
	size, diffID, err := unpack(ctx, ing, layerTar, nil)
	stopShift()
	pr.CloseWithError(io.ErrClosedPipe)
	if err != nil {
		ing.Abort()
		return nil, fmt.Errorf("making the layer of the step: %w", err)
	}
	l := b.layerRecord(st, diffID, size)
	if err := ing.Commit(*l); err != nil {
		return nil, err
	}
	return l, nil
}

// layerRecord describes a new layer with diffID on top of st's image.
func (b *builder) layerRecord(st *stageState, diffID string, size int64) *store.Layer {
	diffs := make([]string, 0, len(st.im.Layers)+1)
	for _, l := range st.im.Layers {
		diffs = append(diffs, l.DiffID)
	}
	chain := store.ChainIDs(append(diffs, diffID))
	l := &store.Layer{ChainID: chain[len(chain)-1], DiffID: diffID, Size: size}
	if len(st.im.Layers) > 0 {
		l.Parent = st.im.Layers[len(st.im.Layers)-1].ChainID
	}
	return l
}

// run executes a RUN step in a container of the current image.
func (b *builder) run(ctx context.Context, st *stageState, c *instructions.RunCommand) error {
	plan, err := b.planRun(ctx, st, c)
	if err != nil {
		return err
	}
	args := plan.args
	keyed, all := b.argEnv(st)
	text := build.Describe(keyed, strings.Join(args, " "))
	key := build.CacheKey(st.im.ID, "RUN "+plan.keyText+text, plan.sources)
	if hit, err := b.cached(st, key); hit || err != nil {
		return err
	}
	if len(st.im.Layers) == 0 {
		return fmt.Errorf("RUN needs an image with files to run: this one is empty (FROM scratch)")
	}
	rs, err := b.setupRun(st, plan)
	if err != nil {
		return err
	}
	defer rs.cleanup()
	name := buildContainerPrefix + container.NewID()[:12]
	empty := []string{}
	ro := RunOptions{
		Image: st.im.ID, BaseImage: st.im, Name: name, Remove: true, Pull: PullNever,
		Spec:   spec.Options{Cmd: args, Entrypoint: &empty, Env: append(all, rs.env...), Network: plan.network, Binds: rs.binds, Tmpfs: rs.tmpfs},
		Stdout: b.o.Out, Stderr: b.o.Out,
	}
	if plan.network == "host" || len(plan.mounts) > 0 {
		// The host's network needs its user namespace: no userns-remap for this step.
		// Nor for a step with --mount: its cache directories and secrets are the
		// host's root's, as the ids it gives them (uid=, gid=) are.
		ro.Userns = "host"
	}
	var id string
	var layer *store.Layer
	var layerErr error
	ro.Created = func(cid string) {
		id = cid
		b.printf(" ---> Running in %s\n", id[:12])
	}
	ro.Exited = func(cid string, code int) { // before the container is removed
		if code != 0 || ctx.Err() != nil {
			return
		}
		cs, err := b.e.Containers()
		if err != nil {
			layerErr = err
			return
		}
		rc, err := cs.Get(cid)
		if err != nil {
			layerErr = err
			return
		}
		// Under userns-remap, the upper directory holds the container's host ids.
		remap, err := containerRemap(rc)
		if err != nil {
			layerErr = err
			return
		}
		rs.removeStubs(filepath.Join(cs.Dir(cid), "upper"))
		layer, layerErr = b.layerFromUpper(ctx, st, filepath.Join(cs.Dir(cid), "upper"), remap)
	}
	// Cancelling the build kills the command (the signal goes to its PID 1).
	sigs := make(chan os.Signal, 1)
	stop := context.AfterFunc(ctx, func() { sigs <- os.Kill })
	res, err := b.e.Run(context.WithoutCancel(ctx), ro, sigs)
	stop()
	if err != nil {
		var se *StartError
		if errors.As(err, &se) && se.Code != 125 {
			return &BuildRunError{Command: strings.Join(args, " "), Code: se.Code}
		}
		return err
	}
	b.printf("Removing intermediate container %s\n", id[:12])
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case res.Code != 0:
		return &BuildRunError{Command: strings.Join(args, " "), Code: res.Code}
	case layerErr != nil:
		return layerErr
	}
	return b.commit(st, key, text, layer)
}

// layerFromUpper turns the upper directory of a RUN container into a layer,
// without the mount points the runtime made (see madeMountPoints).
func (b *builder) layerFromUpper(ctx context.Context, st *stageState, upper string, remap *idmap.Remap) (*store.Layer, error) {
	for m := range madeMountPoints(upper, b.e.Store.LowerDirs(st.im)) {
		os.Remove(filepath.Join(upper, m))
	}
	return b.ingestDiffWith(ctx, st, upper, layerToContainerIDs(remap))
}

// copySpec is a COPY or ADD.
type copySpec struct {
	src          instructions.SourcesAndDest
	from         string
	chown, chmod string
	text         string
	add          bool
	exclude      []string // --exclude patterns
	parents      bool     // --parents
}

// copy runs COPY and ADD.
func (b *builder) copy(ctx context.Context, st *stageState, c copySpec) error {
	var tree build.Tree = b.ctx
	if c.from != "" {
		t, err := b.fromTree(ctx, c.from)
		if err != nil {
			return err
		}
		tree = t
	}
	mode, err := build.ParseChmod(c.chmod)
	if err != nil {
		return err
	}
	below := b.e.Store.LowerDirs(st.im)
	owner, err := build.ParseChown(&build.LayerTree{Layers: below}, c.chown)
	if err != nil {
		return err
	}
	dest := c.src.DestPath
	if !path.IsAbs(dest) {
		wd := st.cfg.Config.WorkingDir
		if wd == "" {
			wd = "/"
		}
		trail := strings.HasSuffix(dest, "/") || dest == "." || strings.HasSuffix(dest, "/.")
		dest = path.Join(wd, dest)
		if trail {
			dest += "/"
		}
	}
	destDir := strings.HasSuffix(dest, "/")
	type source struct {
		tree    build.Tree
		entries []build.Entry
		archive bool
		to      string // with --parents, the destination of this entry
	}
	var sources []source
	var tmpDirs []string
	defer func() {
		for _, d := range tmpDirs {
			os.RemoveAll(d)
		}
	}()
	count := 0
	for _, p := range c.src.SourcePaths {
		if c.add && isURL(p) {
			dir, e, err := b.download(ctx, p)
			if dir != "" {
				tmpDirs = append(tmpDirs, dir)
			}
			if err != nil {
				return err
			}
			sources = append(sources, source{tree: &build.DirTree{Dir: dir}, entries: []build.Entry{e}})
			count++
			continue
		}
		if c.add && strings.Contains(p, "://") {
			return fmt.Errorf("ADD %s: only http and https URLs are supported", p)
		}
		tree := tree
		if len(c.exclude) > 0 {
			if tree, err = build.Exclude(tree, build.SourceBase(tree, p), c.exclude); err != nil {
				return fmt.Errorf("--exclude: %w", err)
			}
		}
		entries, err := build.Glob(tree, p)
		if err != nil {
			if build.IsNotExist(err) {
				if c.from != "" {
					return fmt.Errorf("failed to compute cache key: %s: not found", p)
				}
				return fmt.Errorf("COPY failed: file not found in build context or excluded by .dockerignore: stat %s: file does not exist", p)
			}
			return err
		}
		count += len(entries)
		if build.HasMeta(p) {
			destDir = destDir || len(entries) > 1
		}
		for _, e := range entries {
			arch := false
			if c.add && e.Info.Mode().IsRegular() {
				if arch, err = isArchive(e.Host); err != nil {
					return err
				}
			}
			s := source{tree: tree, entries: []build.Entry{e}, archive: arch}
			if c.parents {
				s.to = build.ParentsDest(p, e, dest)
			}
			sources = append(sources, s)
		}
	}
	if len(c.src.SourceContents) > 0 {
		dir, entries, err := b.heredocSources(st, c.src.SourceContents)
		if dir != "" {
			tmpDirs = append(tmpDirs, dir)
		}
		if err != nil {
			return err
		}
		sources = append(sources, source{tree: &build.DirTree{Dir: dir}, entries: entries})
		count += len(entries)
	}
	if count > 1 && !strings.HasSuffix(dest, "/") {
		return fmt.Errorf("When using %s with more than one source file, the destination must be a directory and end with a /", strings.ToUpper(strings.Fields(c.text)[0]))
	}
	h := sha256.New()
	for _, s := range sources {
		d, err := build.HashSources(s.tree, s.entries)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %v\n", d, s.archive)
	}
	key := build.CacheKey(st.im.ID, c.text+" -> "+dest, digestOf(h))
	if hit, err := b.cached(st, key); hit || err != nil {
		return err
	}
	layer, err := b.newLayer(ctx, st, func(dir string) error {
		for _, s := range sources {
			cp := &build.Copier{Dst: dir, Below: below, Owner: owner, Mode: mode}
			if !s.archive {
				for _, e := range s.entries {
					to, toDir := dest, destDir
					if s.to != "" {
						to, toDir = s.to, true
					}
					if err := cp.Copy(s.tree, e, to, toDir); err != nil {
						return err
					}
				}
				continue
			}
			tmp, err := b.e.Store.TempDir("build-add-")
			if err != nil {
				return err
			}
			tmpDirs = append(tmpDirs, tmp)
			if err := extract(ctx, s.entries[0].Host, tmp); err != nil {
				return fmt.Errorf("ADD %s: %w", s.entries[0].Rel, err)
			}
			cp.KeepOwner = owner == nil
			t := &build.DirTree{Dir: tmp}
			root, err := build.Resolve(t, "")
			if err != nil {
				return err
			}
			if err := cp.Copy(t, root, dest, true); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return b.commit(st, key, "/bin/sh -c #(nop) "+c.text, layer)
}

// fromTree is the file tree of COPY --from: a stage (by name or index) or an
// image.
func (b *builder) fromTree(ctx context.Context, from string) (build.Tree, error) {
	for i, s := range b.stages {
		if (s.name != "" && strings.EqualFold(s.name, from)) || strconv.Itoa(i) == from {
			return &build.LayerTree{Layers: b.e.Store.LowerDirs(s.im)}, nil
		}
	}
	if _, err := strconv.Atoi(from); err == nil {
		return nil, fmt.Errorf("COPY --from=%s: there is no stage %s before this one", from, from)
	}
	im, err := b.baseImage(ctx, from)
	if err != nil {
		return nil, fmt.Errorf("COPY --from=%s: %w", from, err)
	}
	return &build.LayerTree{Layers: b.e.Store.LowerDirs(im)}, nil
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// isArchive tells whether the file p is a tar archive, compressed or not.
func isArchive(p string) (bool, error) {
	f, err := os.Open(p)
	if err != nil {
		return false, err
	}
	defer f.Close()
	rc, err := archive.Decompress(f)
	if err != nil {
		return false, nil
	}
	defer rc.Close()
	hdr := make([]byte, 512)
	if _, err := io.ReadFull(rc, hdr); err != nil {
		return false, nil
	}
	return string(hdr[257:262]) == "ustar" || tarChecksumOK(hdr), nil
}

// tarChecksumOK checks the header checksum of an old (v7) tar header.
func tarChecksumOK(h []byte) bool {
	stored, err := strconv.ParseUint(strings.TrimRight(strings.TrimSpace(string(h[148:156])), "\x00"), 8, 32)
	if err != nil {
		return false
	}
	var sum uint64
	for i, c := range h {
		if i >= 148 && i < 156 {
			c = ' '
		}
		sum += uint64(c)
	}
	return sum == stored
}

// extract unpacks the archive p into dir.
func extract(ctx context.Context, p, dir string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	rc, err := archive.Decompress(f)
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = archive.Apply(ctx, dir, rc, archive.Options{Files: true})
	return err
}
