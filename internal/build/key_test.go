package build

import "testing"

func TestCacheKey(t *testing.T) {
	base := CacheKey("sha256:p", "RUN echo hi", "")
	tests := []struct {
		name                string
		parent, instr, srcs string
		same                bool
	}{
		{"same inputs", "sha256:p", "RUN echo hi", "", true},
		{"another parent", "sha256:q", "RUN echo hi", "", false},
		{"another instruction", "sha256:p", "RUN echo ho", "", false},
		{"sources change", "sha256:p", "RUN echo hi", "sha256:s", false},
		{"no ambiguity across fields", "sha256:pRUN echo hi", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CacheKey(tt.parent, tt.instr, tt.srcs)
			if (got == base) != tt.same {
				t.Errorf("CacheKey(%q, %q, %q) == base: %v, want %v", tt.parent, tt.instr, tt.srcs, got == base, tt.same)
			}
			if len(got) != 71 {
				t.Errorf("key %q is not a sha256 digest", got)
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		args []string
		text string
		want string
	}{
		{nil, "/bin/sh -c true", "/bin/sh -c true"},
		{[]string{"A=1", "B=2"}, "/bin/sh -c true", "|2 A=1 B=2 /bin/sh -c true"},
	}
	for _, tt := range tests {
		if got := Describe(tt.args, tt.text); got != tt.want {
			t.Errorf("Describe(%v, %q) = %q, want %q", tt.args, tt.text, got, tt.want)
		}
	}
}
