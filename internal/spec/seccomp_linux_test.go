package spec

import (
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestBuildSeccomp(t *testing.T) {
	const custom = `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mount"],"action":"SCMP_ACT_ERRNO","includes":{"caps":["CAP_SYS_ADMIN"]}},{"names":["keyctl"],"action":"SCMP_ACT_ERRNO"}]}`
	// names lists the names of the rules whose action is act.
	names := func(p *specs.LinuxSeccomp, act specs.LinuxSeccompAction) []string {
		var out []string
		for _, sc := range p.Syscalls {
			if sc.Action == act {
				out = append(out, sc.Names...)
			}
		}
		return out
	}
	for _, tc := range []struct {
		name       string
		mutate     func(o *Options)
		none       bool
		allowed    []string // allowed by a rule
		notAllowed []string
		errnoRules []string
	}{
		{"default", func(o *Options) {}, false, []string{"read", "clone"}, []string{"mount", "unshare", "keyctl"}, nil},
		{"builtin", func(o *Options) { o.Seccomp = "builtin" }, false, []string{"read"}, []string{"mount"}, nil},
		{"SYS_ADMIN", func(o *Options) { o.CapAdd = strs("SYS_ADMIN") }, false, []string{"mount", "unshare"}, []string{"keyctl"}, nil},
		{"unconfined", func(o *Options) { o.Seccomp = "unconfined" }, true, nil, nil, nil},
		{"privileged", func(o *Options) { o.Privileged = true }, true, nil, nil, nil},
		{"privileged with a profile", func(o *Options) { o.Privileged, o.Seccomp = true, custom }, true, nil, nil, nil},
		{"custom", func(o *Options) { o.Seccomp = custom }, false, nil, nil, []string{"keyctl"}},
		{"custom, SYS_ADMIN", func(o *Options) { o.Seccomp, o.CapAdd = custom, strs("SYS_ADMIN") }, false, nil, nil, []string{"mount", "keyctl"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := base()
			tc.mutate(&o)
			s := mustBuild(t, o)
			p := s.Linux.Seccomp
			if tc.none {
				if p != nil {
					t.Fatalf("a profile (%s), want none", p.DefaultAction)
				}
				return
			}
			if p == nil {
				t.Fatal("no profile")
			}
			allowed := names(p, specs.ActAllow)
			for _, n := range tc.allowed {
				if !slices.Contains(allowed, n) {
					t.Errorf("%s is not allowed", n)
				}
			}
			for _, n := range tc.notAllowed {
				if slices.Contains(allowed, n) {
					t.Errorf("%s is allowed", n)
				}
			}
			if got := names(p, specs.ActErrno); tc.errnoRules != nil && !slices.Equal(got, tc.errnoRules) {
				t.Errorf("errno rules for %v, want %v", got, tc.errnoRules)
			}
		})
	}
}

func TestBuildSeccompErrors(t *testing.T) {
	for _, tc := range []struct {
		profile, file, want string
	}{
		{"{bad", "/p.json", "seccomp profile (/p.json): Decoding seccomp profile failed"},
		{`{"defaultAction":"SCMP_ACT_NOPE"}`, "/p.json", `seccomp profile (/p.json): defaultAction: unknown action "SCMP_ACT_NOPE"`},
		{`{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86"],"archMap":[{"architecture":"SCMP_ARCH_X86"}]}`, "", "seccomp profile: both 'architectures' and 'archMap'"},
	} {
		o := base()
		o.Seccomp, o.SeccompFile = tc.profile, tc.file
		if _, err := Build(o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.profile, err, tc.want)
		}
	}
}
