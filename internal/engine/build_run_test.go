package engine

import (
	"reflect"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/geedocker/geedocker/internal/build"
)

func TestRunArgsHeredocs(t *testing.T) {
	cases := []struct {
		name, run string
		want      []string
		script    string
	}{
		{"plain", "RUN echo hi", []string{"/bin/sh", "-c", "echo hi"}, ""},
		{"lone heredoc", "RUN <<EOF\necho a\necho b\nEOF", []string{"/bin/sh", "-c", "echo a\necho b\n"}, ""},
		{"chomped", "RUN <<-EOF\n\techo a\n\tEOF", []string{"/bin/sh", "-c", "echo a\n"}, ""},
		{"shebang", "RUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF", []string{"/dev/pipes/EOF"}, "#!/usr/bin/env python3\nprint(1)\n"},
		{"interpreter argument", "RUN <<EOF bash\necho a\nEOF", []string{"/bin/sh", "-c", "<<EOF bash\necho a\nEOF"}, ""},
		{"two heredocs", "RUN cat <<A <<B\nx\nA\ny\nB", []string{"/bin/sh", "-c", "cat <<A <<B\nx\nA\ny\nB"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			df, err := build.Parse([]byte("FROM busybox\n" + c.run + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			rc := df.Stages[0].Commands[0].(*instructions.RunCommand)
			p := &runPlan{}
			b := &builder{}
			got, err := b.runArgs(&stageState{cfg: &v1.ConfigFile{}}, rc, p)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("args = %q, want %q", got, c.want)
			}
			script := ""
			if p.script != nil {
				script = p.script.Data
			}
			if script != c.script {
				t.Errorf("script = %q, want %q", script, c.script)
			}
		})
	}
}
