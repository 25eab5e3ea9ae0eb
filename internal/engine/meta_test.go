package engine

import (
	"reflect"
	"testing"
	"time"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/errdefs"
)

func TestMergeLabels(t *testing.T) {
	image := map[string]string{"a": "image", "b": "image"}
	tests := []struct {
		name        string
		image, user map[string]string
		want        map[string]string
	}{
		{"image only", image, nil, image},
		{"user only", nil, map[string]string{"u": "1"}, map[string]string{"u": "1"}},
		{"user over image", image, map[string]string{"b": "user", "c": ""}, map[string]string{"a": "image", "b": "user", "c": ""}},
		{"none", nil, nil, nil},
	}
	for _, tt := range tests {
		if got := mergeLabels(tt.image, tt.user); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: mergeLabels = %v, want %v", tt.name, got, tt.want)
		}
	}
	if image["b"] != "image" {
		t.Error("mergeLabels changed the image's labels")
	}
}

func TestStopOptions(t *testing.T) {
	seven, zero := 7, 0
	own := &container.Container{Config: container.Config{StopTimeout: &seven}}
	none := &container.Container{}
	if got := StopTimeout(none, nil); got != 10*time.Second {
		t.Errorf("default stop timeout = %v", got)
	}
	if got := StopTimeout(own, nil); got != 7*time.Second {
		t.Errorf("--stop-timeout 7 = %v", got)
	}
	if got := StopTimeout(own, &zero); got != 0 {
		t.Errorf("stop -t 0 over --stop-timeout 7 = %v", got)
	}
	for _, ok := range []string{"", "SIGUSR1", "USR1", "10"} {
		if err := checkStopSignal(ok); err != nil {
			t.Errorf("checkStopSignal(%q) = %v", ok, err)
		}
	}
	err := checkStopSignal("NOPE")
	if err == nil || err.Error() != "Invalid signal: NOPE" || !errdefs.IsInvalidArgument(err) {
		t.Errorf("checkStopSignal(NOPE) = %v", err)
	}
}
