package cli

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/spf13/pflag"
)

func TestAttachStreams(t *testing.T) {
	var m metaFlags
	if !m.attached("stdout") || !m.attached("stderr") || !m.attached("stdin") {
		t.Error("without -a every stream is attached")
	}
	for _, v := range []string{"STDERR", "stdin"} {
		if err := m.attach.Set(v); err != nil {
			t.Fatalf("Set(%q): %v", v, err)
		}
	}
	if m.attached("stdout") || !m.attached("stderr") || !m.attached("stdin") {
		t.Errorf("-a STDERR -a stdin: %v", m.attach)
	}
	if err := m.attach.Set("foo"); err == nil || err.Error() != "valid streams are STDIN, STDOUT and STDERR" {
		t.Errorf("Set(foo) = %v", err)
	}
	if err := m.checkRun(true); err == nil || err.Error() != "conflicting options: cannot specify both --attach and --detach" {
		t.Errorf("checkRun(-d) with -a: %v", err)
	}
}

func TestLabels(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "labels")
	os.WriteFile(file, []byte("\ufeff# comment\n  a=from-file\nempty\n\nb=x=y\n"), 0o644)
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte("a b=1\n"), 0o644)
	tests := []struct {
		name        string
		files, list []string
		want        map[string]string
		err         string
	}{
		{"none", nil, nil, nil, ""},
		{"flags", nil, []string{"k=v", "flag", "k2="}, map[string]string{"k": "v", "flag": "", "k2": ""}, ""},
		{"file then flags", []string{file}, []string{"a=from-flag"}, map[string]string{"a": "from-flag", "empty": "", "b": "x=y"}, ""},
		{"missing file", []string{filepath.Join(dir, "nope")}, nil, nil, "open " + filepath.Join(dir, "nope") + ": no such file or directory"},
		{"bad file", []string{bad}, nil, nil, "invalid env file (" + bad + "): variable 'a b' contains whitespaces"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := metaFlags{labelFiles: tt.files, labelList: tt.list}
			got, err := m.labels()
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("labels() = %v, %v; want %q", got, err, tt.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("labels() = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestCIDFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "cid")
	c, err := newCIDFile(p)
	if err != nil {
		t.Fatal(err)
	}
	c.write("abc")
	c.close()
	if b, _ := os.ReadFile(p); string(b) != "abc" {
		t.Errorf("cidfile = %q", b)
	}
	if _, err := newCIDFile(p); err == nil || err.Error() != "container ID file found, make sure the other container isn't running or delete "+p {
		t.Errorf("existing cidfile: %v", err)
	}
	// Never written (the create failed): removed.
	q := filepath.Join(dir, "cid2")
	c, err = newCIDFile(q)
	if err != nil {
		t.Fatal(err)
	}
	c.close()
	if _, err := os.Stat(q); !os.IsNotExist(err) {
		t.Errorf("unwritten cidfile left: %v", err)
	}
	// No --cidfile: nothing to do.
	c, _ = newCIDFile("")
	c.write("x")
	c.close()
}

// run and create take the same options, but for run's own.
func TestCreateFlagsAreRunFlags(t *testing.T) {
	g := &globals{}
	run, create := newRunCmd(g), newCreateCmd(g)
	runOnly := map[string]bool{"detach": true, "detach-keys": true, "sig-proxy": true}
	run.Flags().VisitAll(func(f *pflag.Flag) {
		cf := create.Flags().Lookup(f.Name)
		if runOnly[f.Name] {
			if cf != nil {
				t.Errorf("create takes run's own --%s", f.Name)
			}
			return
		}
		if cf == nil || cf.Shorthand != f.Shorthand {
			t.Errorf("create lacks --%s (-%s)", f.Name, f.Shorthand)
		}
	})
}
