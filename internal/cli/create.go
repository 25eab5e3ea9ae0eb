package cli

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/geedocker/geedocker/internal/attach"
	"github.com/geedocker/geedocker/internal/engine"
	"github.com/geedocker/geedocker/internal/spec"
)

// metaFlags are the options of run and create that do not shape the container's process:
// labels, the ID file, how it is stopped, and (run only) what the session attaches.
type metaFlags struct {
	labelList, labelFiles []string
	cidfile               string
	stopSignal            string
	stopTimeout           int
	attach                attachStreams
	keys                  detachKeysValue
	sigProxy              bool
}

func (m *metaFlags) addFlags(f *pflag.FlagSet, run bool) {
	f.StringArrayVarP(&m.labelList, "label", "l", nil, "Set meta data on a container")
	f.StringArrayVar(&m.labelFiles, "label-file", nil, "Read in a line delimited file of labels")
	f.StringVar(&m.cidfile, "cidfile", "", "Write the container ID to the file")
	f.StringVar(&m.stopSignal, "stop-signal", "", "Signal to stop the container")
	f.IntVar(&m.stopTimeout, "stop-timeout", 0, "Timeout (in seconds) to stop a container")
	f.VarP(&m.attach, "attach", "a", "Attach to STDIN, STDOUT or STDERR")
	if run {
		f.Var(&m.keys, "detach-keys", "Override the key sequence for detaching a container")
		f.BoolVar(&m.sigProxy, "sig-proxy", true, "Proxy received signals to the process")
	}
}

// checkRun refuses what run cannot do together.
func (m *metaFlags) checkRun(detach bool) error {
	if detach && len(m.attach) > 0 {
		return errors.New("conflicting options: cannot specify both --attach and --detach")
	}
	return nil
}

// attached tells whether the session carries an output stream: both without -a, else those
// named. (Stdin is attached by -i.)
func (m *metaFlags) attached(stream string) bool {
	return len(m.attach) == 0 || m.attach[stream]
}

// labels reads --label-file, then --label, as Docker: KEY=VALUE, or KEY for an empty value;
// a later one wins.
func (m *metaFlags) labels() (map[string]string, error) {
	var kvs []string
	for _, path := range m.labelFiles {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("open %s: no such file or directory", path)
		}
		lines, err := spec.ParseLabelFile(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("invalid env file (%s): %s", path, strings.TrimPrefix(err.Error(), "poorly formatted environment: "))
		}
		kvs = append(kvs, lines...)
	}
	kvs = append(kvs, m.labelList...)
	if len(kvs) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, kv := range kvs {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	return out, nil
}

// attachStreams is -a/--attach: stdin, stdout, stderr, any case, repeatable.
type attachStreams map[string]bool

func (a *attachStreams) String() string {
	return strings.Join(sortedKeys(*a), ",")
}

func (a *attachStreams) Set(s string) error {
	v := strings.ToLower(s)
	switch v {
	case "stdin", "stdout", "stderr":
	default:
		return errors.New("valid streams are STDIN, STDOUT and STDERR")
	}
	if *a == nil {
		*a = attachStreams{}
	}
	(*a)[v] = true
	return nil
}

func (a *attachStreams) Type() string { return "list" }

func sortedKeys(m map[string]bool) []string {
	var out []string
	for _, k := range []string{"stdin", "stdout", "stderr"} {
		if m[k] {
			out = append(out, k)
		}
	}
	return out
}

// detachKeysValue is --detach-keys: Docker's sequence, "ctrl-p,ctrl-q" by default.
type detachKeysValue struct {
	text string
	seq  []byte
}

func (d *detachKeysValue) String() string { return d.text }

func (d *detachKeysValue) Set(s string) error {
	seq, err := attach.ParseDetachKeys(s)
	if err != nil {
		return err
	}
	d.text, d.seq = s, seq
	return nil
}

func (d *detachKeysValue) Type() string { return "string" }

// bytes is the sequence: the default one when none was given.
func (d *detachKeysValue) bytes() []byte {
	if d.seq == nil {
		return attach.DefaultDetachKeys
	}
	return d.seq
}

func newCreateCmd(g *globals) *cobra.Command {
	var o runFlags
	c := &cobra.Command{
		Use:   "create [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create a new container",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return runCreate(c, g, &o, args)
		},
	}
	o.addFlags(c.Flags(), false)
	return c
}

// runCreate makes the container as run would and prints its ID; start runs it.
func runCreate(c *cobra.Command, g *globals, o *runFlags, args []string) error {
	e, ro, err := o.runOptions(c, g, args)
	if err != nil {
		return err
	}
	cid, err := newCIDFile(o.meta.cidfile)
	if err != nil {
		return err
	}
	defer cid.close()
	// The session's streams are chosen at start (start -a, -i); the container keeps a stdin
	// open for them with -i.
	ro.Stdout, ro.Stderr = nil, nil
	if o.interactive {
		ro.Stdin = strings.NewReader("")
	}
	ct, err := e.Create(c.Context(), ro)
	if err != nil {
		return &StatusError{Code: 125, Err: err}
	}
	cid.write(ct.ID)
	fmt.Fprintln(g.stdout, ct.ID)
	return nil
}

// cidFile is --cidfile: made before the container (refused when it exists, as Docker
// refuses it), written with the ID once the container exists, removed if it never does.
type cidFile struct {
	path    string
	f       *os.File
	written bool
}

func newCIDFile(path string) (*cidFile, error) {
	if path == "" {
		return &cidFile{}, nil
	}
	if _, err := os.Stat(path); err == nil {
		return nil, &StatusError{Code: 125, Err: fmt.Errorf("container ID file found, make sure the other container isn't running or delete %s", path)}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, &StatusError{Code: 125, Err: fmt.Errorf("failed to create the container ID file: %w", err)}
	}
	return &cidFile{path: path, f: f}, nil
}

func (c *cidFile) write(id string) {
	if c.f == nil || c.written {
		return
	}
	if _, err := c.f.WriteString(id); err == nil {
		c.written = true
	}
	c.f.Close()
}

func (c *cidFile) close() {
	if c.f == nil {
		return
	}
	if !c.written {
		c.f.Close()
		os.Remove(c.path)
	}
}

// proxySignals forwards the signals a user sends this command to the container (start -a),
// until the returned function is called.
func proxySignals(e *engine.Engine, ref string) func() {
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for sig := range sigs {
			e.Kill(ref, strconv.Itoa(int(sig.(syscall.Signal))))
		}
	}()
	return func() {
		signal.Stop(sigs)
		close(sigs)
		<-done
	}
}
