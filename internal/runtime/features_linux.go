package runtime

import (
	"github.com/geedocker/geedocker/internal/caps"
	"os"
	"slices"
	"strings"
)

// appArmorProfile is the profile to apply: none when the host has no AppArmor.
func appArmorProfile(profile string) string {
	if profile == "" {
		return ""
	}
	b, err := os.ReadFile("/sys/module/apparmor/parameters/enabled")
	if err != nil || !strings.HasPrefix(string(b), "Y") {
		return ""
	}
	return profile
}

// MountOptions lists the mount options the runtime understands, sorted (for runc's features).
func MountOptions() []string {
	opts := []string{"bind", "rbind", "defaults"}
	for o := range mountFlagOptions {
		opts = append(opts, o)
	}
	for o := range propagationOptions {
		opts = append(opts, o)
	}
	slices.Sort(opts)
	return slices.Compact(opts)
}

// Capabilities lists the capability names the runtime knows, sorted.
func Capabilities() []string {
	names := slices.Clone(caps.All)
	slices.Sort(names)
	return names
}
