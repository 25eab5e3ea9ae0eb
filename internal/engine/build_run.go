package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/geedocker/geedocker/internal/build"
	"github.com/geedocker/geedocker/internal/lockfile"
)

// The RUN features of BuildKit's Dockerfile syntax: heredocs, --mount and
// --network. A runPlan is worked out before the cache is looked up (its key
// parts come from it); its mounts are set up only when the step runs.

// cacheMountsDir is the directory of the store that holds the persistent
// directories of RUN --mount=type=cache, one per id; `builder prune`
// removes it.
const cacheMountsDir = "build-cache-mounts"

// heredocPipes is where a heredoc with a shebang line is mounted as a file
// that the RUN then executes, as BuildKit does.
const heredocPipes = "/dev/pipes"

// runPlan is a RUN step as it will execute.
type runPlan struct {
	args    []string // the command
	network string   // spec network: "", "none" or "host"
	keyText string   // what the cache key adds to the command: flags, heredoc content
	sources string   // digest of the bind mounts' sources
	mounts  []runMount
	script  *instructions.ShellInlineFile // a heredoc run by its shebang
}

// runMount is one --mount of a RUN.
type runMount struct {
	m      *instructions.Mount
	target string     // absolute, in the container
	tree   build.Tree // bind: where the source is read from
	src    build.Entry
	// secretID names the secret of a secret mount.
	secretID string
}

// planRun reads the flags and heredocs of a RUN.
func (b *builder) planRun(ctx context.Context, st *stageState, c *instructions.RunCommand) (*runPlan, error) {
	p := &runPlan{network: b.o.Network}
	var key []string
	for _, f := range c.FlagsUsed {
		switch f {
		case "mount", "network":
		default:
			return nil, fmt.Errorf("--%s is not supported", f)
		}
	}
	switch n := instructions.GetNetwork(c); n {
	case instructions.NetworkNone:
		p.network = "none"
		key = append(key, "--network=none")
	case instructions.NetworkHost:
		if !b.o.Allow["network.host"] {
			return nil, fmt.Errorf("network.host is not allowed: --network=host needs build --allow network.host")
		}
		p.network = "host"
		key = append(key, "--network=host")
	}
	args, err := b.runArgs(st, c, p)
	if err != nil {
		return nil, err
	}
	p.args = args
	if p.script != nil {
		key = append(key, "script="+strconv.Quote(p.script.Name)+":"+strconv.Quote(p.script.Data))
	}
	h := sha256.New()
	for _, m := range instructions.GetMounts(c) {
		rm, err := b.planMount(ctx, st, m)
		if err != nil {
			return nil, err
		}
		p.mounts = append(p.mounts, rm)
		key = append(key, "--mount="+mountText(rm))
		if rm.tree != nil {
			d, err := build.HashSources(rm.tree, []build.Entry{rm.src})
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(h, "%s %s\n", rm.target, d)
		}
	}
	if len(key) > 0 {
		p.keyText = strings.Join(key, " ") + " "
	}
	if len(p.mounts) > 0 {
		p.sources = "sha256:" + hex.EncodeToString(h.Sum(nil))
	}
	return p, nil
}

// runArgs is the command of a RUN, heredocs worked in as BuildKit does: a
// lone heredoc is the script (run by its shebang line's interpreter when it
// has one); otherwise the heredocs are given to the shell after the line.
func (b *builder) runArgs(st *stageState, c *instructions.RunCommand, p *runPlan) ([]string, error) {
	cl := c.ShellDependantCmdLine
	if len(c.Files) == 0 {
		return shellArgs(&st.cfg.Config, cl), nil
	}
	if !cl.PrependShell || len(cl.CmdLine) != 1 {
		return nil, fmt.Errorf("a heredoc needs the shell form of RUN")
	}
	line := cl.CmdLine[0]
	if parser.MustParseHeredoc(line) != nil {
		f := c.Files[0]
		data := f.Data
		if f.Chomp {
			data = parser.ChompHeredocContent(data)
		}
		if strings.HasPrefix(data, "#!") {
			p.script = &instructions.ShellInlineFile{Name: path.Base(f.Name), Data: data}
			if p.script.Name == "." || p.script.Name == "/" {
				p.script.Name = "script"
			}
			return []string{path.Join(heredocPipes, p.script.Name)}, nil
		}
		cl.CmdLine = []string{data}
		return shellArgs(&st.cfg.Config, cl), nil
	}
	full := line
	for _, f := range c.Files {
		full += "\n" + f.Data + f.Name
	}
	cl.CmdLine = []string{full}
	return shellArgs(&st.cfg.Config, cl), nil
}

// planMount checks one --mount and finds a bind mount's source.
func (b *builder) planMount(ctx context.Context, st *stageState, m *instructions.Mount) (runMount, error) {
	rm := runMount{m: m}
	switch m.Type {
	case instructions.MountTypeBind, instructions.MountTypeCache, instructions.MountTypeTmpfs:
	case instructions.MountTypeSecret:
		rm.secretID = m.CacheID
		if rm.secretID == "" {
			rm.secretID = m.Source
		}
		if rm.secretID == "" {
			rm.secretID = path.Base(m.Target)
		}
		if m.Target == "" {
			if m.Env != nil && *m.Env != "" {
				return rm, nil
			}
			m.Target = "/run/secrets/" + rm.secretID
		}
	default:
		return rm, fmt.Errorf("--mount=type=%s is not supported (bind, cache, tmpfs and secret are)", m.Type)
	}
	if m.Target == "" {
		return rm, fmt.Errorf("--mount=type=%s: a target is required", m.Type)
	}
	target := m.Target
	if !path.IsAbs(target) {
		wd := st.cfg.Config.WorkingDir
		if wd == "" {
			wd = "/"
		}
		target = path.Join(wd, target)
	}
	rm.target = path.Clean(target)
	if rm.target == "/" {
		return rm, fmt.Errorf("--mount: the target cannot be /")
	}
	if strings.ContainsAny(rm.target, ":,") {
		return rm, fmt.Errorf("--mount: target %s: a target with ':' or ',' is not supported", rm.target)
	}
	if m.Type == instructions.MountTypeCache && m.Source != "" && m.From == "" {
		return rm, fmt.Errorf("--mount=type=cache: source needs from")
	}
	if m.Type == instructions.MountTypeSecret {
		return rm, nil
	}
	if m.Type != instructions.MountTypeBind {
		if m.Type == instructions.MountTypeCache && m.From != "" {
			return rm, fmt.Errorf("--mount=type=cache,from=%s is not supported", m.From)
		}
		return rm, nil
	}
	var tree build.Tree = b.ctx
	if m.From != "" && m.From != "context" {
		t, err := b.fromTree(ctx, m.From)
		if err != nil {
			return rm, fmt.Errorf("--mount=from=%s: %w", m.From, err)
		}
		tree = t
	}
	src, err := build.ResolveFollow(tree, strings.TrimPrefix(path.Clean("/"+m.Source), "/"))
	if err != nil {
		if build.IsNotExist(err) {
			return rm, fmt.Errorf("--mount: source %s: not found", path.Clean("/"+m.Source))
		}
		return rm, err
	}
	if !src.Info.IsDir() && !src.Info.Mode().IsRegular() {
		return rm, fmt.Errorf("--mount: source %s is not a file or a directory", path.Clean("/"+m.Source))
	}
	rm.tree, rm.src = tree, src
	return rm, nil
}

// mountText is a mount as its key and history show it.
func mountText(rm runMount) string {
	m := rm.m
	parts := []string{"type=" + string(m.Type), "target=" + rm.target}
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	add("from", m.From)
	add("source", m.Source)
	add("id", m.CacheID)
	if m.Env != nil {
		add("env", *m.Env)
	}
	if m.Required {
		parts = append(parts, "required")
	}
	add("sharing", string(m.CacheSharing))
	if m.ReadOnly {
		parts = append(parts, "ro")
	} else if m.Type == instructions.MountTypeBind {
		parts = append(parts, "rw")
	}
	for _, n := range []struct {
		k string
		v *uint64
		b int
	}{{"mode", m.Mode, 8}, {"uid", m.UID, 10}, {"gid", m.GID, 10}} {
		if n.v != nil {
			add(n.k, strconv.FormatUint(*n.v, n.b))
		}
	}
	if m.SizeLimit > 0 {
		add("size", strconv.FormatInt(m.SizeLimit, 10))
	}
	return strings.Join(parts, ",")
}

// runSetup is what a RUN's mounts give its container.
type runSetup struct {
	binds, tmpfs []string // -v and --tmpfs values
	env          []string // secrets given as environment variables
	// stubs are the paths (relative, parents first) that the mount points
	// will add to the image: they are removed from the layer when the
	// command left them empty, as BuildKit does.
	stubs []string
	undo  []func()
}

// cleanup releases what setupRun made, once the container is gone.
func (r *runSetup) cleanup() {
	for i := len(r.undo) - 1; i >= 0; i-- {
		r.undo[i]()
	}
}

// removeStubs removes from upper the mount points made for the RUN's
// mounts that are still empty, deepest first.
func (r *runSetup) removeStubs(upper string) {
	for i := len(r.stubs) - 1; i >= 0; i-- {
		if emptyInUpper(upper, r.stubs[i]) {
			os.Remove(filepath.Join(upper, filepath.FromSlash(r.stubs[i])))
		}
	}
}

// addStubs records the parts of target that the image lacks.
func (r *runSetup) addStubs(image *build.Copier, target string) {
	rel := ""
	for _, part := range strings.Split(strings.Trim(target, "/"), "/") {
		rel = path.Join(rel, part)
		if !image.Exists(rel) && !slices.Contains(r.stubs, rel) {
			r.stubs = append(r.stubs, rel)
		}
	}
}

// setupRun makes the mounts of a RUN in st.
func (b *builder) setupRun(st *stageState, p *runPlan) (_ *runSetup, err error) {
	rs := &runSetup{}
	defer func() {
		if err != nil {
			rs.cleanup()
		}
	}()
	image := &build.Copier{Below: b.e.Store.LowerDirs(st.im)}
	tmpDir := func(prefix string) (string, error) {
		d, err := b.e.Store.TempDir(prefix)
		if err == nil {
			rs.undo = append(rs.undo, func() { os.RemoveAll(d) })
		}
		return d, err
	}
	if p.script != nil {
		d, err := tmpDir("build-heredoc-")
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(d, p.script.Name), []byte(p.script.Data), 0o755); err != nil {
			return nil, err
		}
		if err := os.Chmod(d, 0o755); err != nil {
			return nil, err
		}
		rs.binds = append(rs.binds, d+":"+heredocPipes+":ro")
	}
	for _, rm := range p.mounts {
		m := rm.m
		switch m.Type {
		case instructions.MountTypeTmpfs:
			v := rm.target
			if m.SizeLimit > 0 {
				v += ":size=" + strconv.FormatInt(m.SizeLimit, 10)
			}
			rs.tmpfs = append(rs.tmpfs, v)
			rs.addStubs(image, rm.target)
			continue
		case instructions.MountTypeCache:
			dir, release, err := b.cacheMount(m, rm.target, tmpDir)
			if err != nil {
				return nil, err
			}
			rs.undo = append(rs.undo, release)
			rs.binds = append(rs.binds, dir+":"+rm.target+mountRO(m.ReadOnly))
			rs.addStubs(image, rm.target)
			continue
		case instructions.MountTypeSecret:
			if err := b.secretMount(rs, rm, image, tmpDir); err != nil {
				return nil, err
			}
			continue
		}
		// A bind mount sees a copy of its source: writes with rw are
		// discarded with the copy, and the context's .dockerignore holds.
		d, err := tmpDir("build-bind-")
		if err != nil {
			return nil, err
		}
		cp := &build.Copier{Dst: d, KeepOwner: true}
		host := d
		if rm.src.Info.IsDir() {
			err = cp.Copy(rm.tree, rm.src, "/", true)
			if err == nil {
				err = os.Chmod(d, rm.src.Info.Mode().Perm())
			}
		} else {
			// A name of ours: the source's may hold a ':'.
			host = filepath.Join(d, "file")
			err = cp.Copy(rm.tree, rm.src, "/file", false)
		}
		if err != nil {
			return nil, fmt.Errorf("--mount=type=bind: %w", err)
		}
		rs.binds = append(rs.binds, host+":"+rm.target+mountRO(m.ReadOnly))
		rs.addStubs(image, rm.target)
	}
	return rs, nil
}

// secretMount gives a RUN the secret of a --mount=type=secret: a
// read-only file (at /run/secrets/ID unless a target is given, mode 0400
// unless mode= says otherwise) and, with env=, an environment variable. A
// secret the build was not given is left out, or is an error with
// required.
func (b *builder) secretMount(rs *runSetup, rm runMount, image *build.Copier, tmpDir func(string) (string, error)) error {
	m := rm.m
	data, ok := b.o.Secrets[rm.secretID]
	if !ok {
		if m.Required {
			return fmt.Errorf("secret %s: not found", rm.secretID)
		}
		return nil
	}
	if m.Env != nil && *m.Env != "" {
		rs.env = append(rs.env, *m.Env+"="+string(data))
	}
	if rm.target == "" {
		return nil
	}
	d, err := tmpDir("build-secret-")
	if err != nil {
		return err
	}
	f := filepath.Join(d, "secret")
	mode, uid, gid := fs.FileMode(0o400), 0, 0
	if m.Mode != nil {
		mode = fs.FileMode(*m.Mode & 0o777)
	}
	if m.UID != nil {
		uid = int(*m.UID)
	}
	if m.GID != nil {
		gid = int(*m.GID)
	}
	if err := os.WriteFile(f, data, 0o600); err != nil {
		return err
	}
	if err := os.Chown(f, uid, gid); err != nil {
		return err
	}
	if err := os.Chmod(f, mode); err != nil {
		return err
	}
	rs.binds = append(rs.binds, f+":"+rm.target+":ro")
	rs.addStubs(image, rm.target)
	return nil
}

func mountRO(ro bool) string {
	if ro {
		return ":ro"
	}
	return ":rw"
}

// cacheMount returns the directory of a cache mount, made on first use
// with the mount's mode, uid and gid, and a release to call after the RUN.
// sharing=locked waits for other users; sharing=private takes a new, empty
// directory when another holds it; shared (the default) shares it.
func (b *builder) cacheMount(m *instructions.Mount, target string, tmpDir func(string) (string, error)) (string, func(), error) {
	id := m.CacheID
	if id == "" {
		id = target
	}
	sum := sha256.Sum256([]byte(id))
	root := filepath.Join(b.e.Store.Root(), cacheMountsDir)
	if err := os.MkdirAll(root, 0o700); err != nil {
		return "", nil, err
	}
	name := hex.EncodeToString(sum[:16])
	dir := filepath.Join(root, name)
	mode, uid, gid := fs.FileMode(0o755), 0, 0
	if m.Mode != nil {
		pm, err := build.ParseChmod(strconv.FormatUint(*m.Mode, 8))
		if err != nil {
			return "", nil, fmt.Errorf("--mount=type=cache: %w", err)
		}
		mode = *pm
	}
	if m.UID != nil {
		uid = int(*m.UID)
	}
	if m.GID != nil {
		gid = int(*m.GID)
	}
	made := func(d string) error {
		if err := os.Chown(d, uid, gid); err != nil {
			return err
		}
		return os.Chmod(d, mode)
	}
	release := func() {}
	lockPath := filepath.Join(root, name+".lock")
	switch m.CacheSharing {
	case instructions.MountSharingLocked:
		l, err := lockfile.Acquire(lockPath, lockfile.Exclusive)
		if err != nil {
			return "", nil, err
		}
		release = func() { l.Unlock() }
	case instructions.MountSharingPrivate:
		l, ok, err := lockfile.TryAcquire(lockPath, lockfile.Exclusive)
		if err != nil {
			return "", nil, err
		}
		if !ok {
			d, err := tmpDir("build-cache-private-")
			if err != nil {
				return "", nil, err
			}
			return d, release, made(d)
		}
		release = func() { l.Unlock() }
	default:
		l, err := lockfile.Acquire(lockPath, lockfile.Shared)
		if err != nil {
			return "", nil, err
		}
		release = func() { l.Unlock() }
	}
	// Made under the lock, so that a prune (which takes it exclusively)
	// never removes it from under a build.
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		tmp, err := os.MkdirTemp(root, ".new-")
		if err == nil {
			if err = made(tmp); err == nil {
				if os.Rename(tmp, dir) != nil {
					os.Remove(tmp) // another build made it first
				}
			} else {
				os.Remove(tmp)
			}
		}
		if err != nil {
			release()
			return "", nil, err
		}
	}
	return dir, release, nil
}

// pruneCacheMounts removes the cache mounts' directories that match
// (their last change) and no running build uses, and returns their names
// and the space freed.
func (e *Engine) pruneCacheMounts(match func(time.Time) bool) ([]string, int64, error) {
	root := filepath.Join(e.Store.Root(), cacheMountsDir)
	entries, err := os.ReadDir(root)
	if os.IsNotExist(err) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	var names []string
	var space int64
	for _, en := range entries {
		dir := filepath.Join(root, en.Name())
		if strings.HasPrefix(en.Name(), ".new-") {
			if fi, err := en.Info(); err == nil && time.Since(fi.ModTime()) > time.Hour {
				os.RemoveAll(dir) // left by a killed build
			}
			continue
		}
		fi, err := en.Info()
		if err != nil || !en.IsDir() || !match(fi.ModTime()) {
			continue
		}
		l, ok, err := lockfile.TryAcquire(dir+".lock", lockfile.Exclusive)
		if err != nil {
			return names, space, err
		}
		if !ok {
			continue // in use by a build
		}
		filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				if i, err := d.Info(); err == nil {
					space += i.Size()
				}
			}
			return nil
		})
		err = os.RemoveAll(dir)
		if err == nil {
			os.Remove(dir + ".lock")
		}
		l.Unlock()
		if err != nil {
			return names, space, fmt.Errorf("removing the build's cache mount: %w", err)
		}
		names = append(names, "cachemount:"+en.Name())
	}
	return names, space, nil
}

// heredocSources writes the heredocs of a COPY or ADD (<<EOF sources) as
// files of a new directory of the store's tmp/ and returns it, with the
// entries to copy; the caller removes the directory. Unquoted heredocs
// have their variables expanded, as BuildKit does.
func (b *builder) heredocSources(st *stageState, contents []instructions.SourceContent) (string, []build.Entry, error) {
	dir, err := b.e.Store.TempDir("build-heredoc-")
	if err != nil {
		return "", nil, err
	}
	x := b.rawExpander(st.env())
	tree := &build.DirTree{Dir: dir}
	var entries []build.Entry
	seen := map[string]bool{}
	for _, c := range contents {
		data := c.Data
		if c.Expand {
			if data, err = x(data); err != nil {
				return dir, nil, err
			}
		}
		name := path.Base(c.Path)
		if name == "." || name == "/" || name == ".." {
			return dir, nil, fmt.Errorf("heredoc name %q cannot be a file name", c.Path)
		}
		if seen[name] {
			return dir, nil, fmt.Errorf("heredoc %s is given twice", name)
		}
		seen[name] = true
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			return dir, nil, err
		}
		if err := os.Chmod(filepath.Join(dir, name), 0o644); err != nil {
			return dir, nil, err
		}
		e, err := build.Resolve(tree, name)
		if err != nil {
			return dir, nil, err
		}
		entries = append(entries, e)
	}
	return dir, entries, nil
}

// rawExpander expands the variables of a heredoc's content, leaving quotes
// alone, as BuildKit does for COPY <<EOF.
func (b *builder) rawExpander(env []string) func(string) (string, error) {
	return build.RawExpand(env)
}
