package build

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		stages  int
		meta    int
		wantErr string
	}{
		{"one stage", "FROM busybox\nRUN true\n", 1, 0, ""},
		{"args before FROM and stages", "ARG V=1\nFROM busybox AS a\nFROM a\n", 2, 1, ""},
		{"unknown instruction names its line", "FROM busybox\n\nFROBNICATE\n", 0, 0, "line 3: unknown instruction: FROBNICATE"},
		{"bad arguments name their line", "FROM busybox\nENV\n", 0, 0, "line 2"},
		{"instructions before FROM", "RUN true\n", 0, 0, "line 1"},
		{"empty", "# nothing\n", 0, 0, "file with no instructions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			df, err := Parse([]byte(tt.src))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrInvalid) {
					t.Fatalf("Parse: %v, want an ErrInvalid holding %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error is not one line: %q", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(df.Stages) != tt.stages || len(df.MetaArgs) != tt.meta {
				t.Errorf("%d stages, %d meta args; want %d, %d", len(df.Stages), len(df.MetaArgs), tt.stages, tt.meta)
			}
		})
	}
}

func TestParseInstruction(t *testing.T) {
	for _, bad := range []string{"FROM busybox", "ONBUILD RUN true", "NOPE x"} {
		if _, err := ParseInstruction(bad); err == nil {
			t.Errorf("ParseInstruction(%q) accepted it", bad)
		}
	}
	if _, err := ParseInstruction("RUN echo hi"); err != nil {
		t.Errorf("RUN: %v", err)
	}
}
