//go:build linux

package seccomp

import (
	"encoding/json"
	"errors"
	"testing"

	mobyseccomp "github.com/moby/profiles/seccomp"
)

// FuzzLoad feeds the profile loader arbitrary JSON: it never panics, what it accepts passes
// Validate, and, with cgo, compiles or fails with an error (small profiles only, to keep the
// fuzzer fast).
func FuzzLoad(f *testing.F) {
	def, err := json.Marshal(mobyseccomp.DefaultProfile())
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		string(def),
		`{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":13,"syscalls":[{"names":["read","write"],"action":"SCMP_ACT_ALLOW"},{"names":["keyctl"],"action":"SCMP_ACT_ERRNO","errnoRet":38}]}`,
		`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["ioctl"],"action":"SCMP_ACT_ERRNO","args":[{"index":1,"value":21505,"op":"SCMP_CMP_EQ"},{"index":1,"value":21506,"op":"SCMP_CMP_EQ"}]}]}`,
		`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mmap"],"action":"SCMP_ACT_ERRNO","args":[{"index":2,"value":4,"valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"}]}]}`,
		`{"defaultAction":"SCMP_ACT_ERRNO","archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":["SCMP_ARCH_X86","SCMP_ARCH_X32"]}],"syscalls":[{"name":"read","action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN"],"minKernel":"4.8"},"excludes":{"arches":["s390x"]}}]}`,
		`{"defaultAction":"SCMP_ACT_NOPE","syscalls":[]}`,
		`{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_Z80"],"syscalls":[]}`,
		`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["keyctl"],"action":"SCMP_ACT_ERRNO","includes":{"minKernel":"x"}}]}`,
		`{}`, `null`, `[]`, `{bad`,
	} {
		f.Add([]byte(seed))
	}
	s := specWithCaps()
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := Load(body, s)
		if err != nil || p == nil {
			return
		}
		if err := Validate(p); err != nil {
			t.Fatalf("Load accepted a profile that Validate refuses: %v", err)
		}
		if len(p.Syscalls) > 20 {
			return
		}
		prog, err := Compile(p)
		if errors.Is(err, ErrNoCgo) || err != nil {
			return
		}
		if _, err := prog.Instructions(); err != nil || len(prog) == 0 {
			t.Fatalf("Compile gave a bad program (%d bytes): %v", len(prog), err)
		}
	})
}
