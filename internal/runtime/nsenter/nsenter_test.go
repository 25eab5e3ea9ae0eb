package nsenter

import "testing"

func TestValue(t *testing.T) {
	tests := []struct {
		flags         uintptr
		pidfd, syncfd int
		want          string
	}{
		{0x20000000 | 0x20000, 5, 4, "537001984:5:4"}, // CLONE_NEWPID|CLONE_NEWNS
		{0, 3, 10, "0:3:10"},
	}
	for _, tt := range tests {
		if got := Value(tt.flags, tt.pidfd, tt.syncfd); got != tt.want {
			t.Errorf("Value(%#x, %d, %d) = %q, want %q", tt.flags, tt.pidfd, tt.syncfd, got, tt.want)
		}
	}
}

func TestInitValue(t *testing.T) {
	tests := []struct {
		flags                     uintptr
		mntnsfd, usernsfd, syncfd int
		want                      string
	}{
		{0x20000000 | 0x40000000, 7, -1, 4, "1610612736:7:-1:4"}, // CLONE_NEWPID|CLONE_NEWNET, mount joined
		{0, -1, 8, 4, "0:-1:8:4"},                                // user joined
	}
	for _, tt := range tests {
		if got := InitValue(tt.flags, tt.mntnsfd, tt.usernsfd, tt.syncfd); got != tt.want {
			t.Errorf("InitValue(%#x, %d, %d, %d) = %q, want %q", tt.flags, tt.mntnsfd, tt.usernsfd, tt.syncfd, got, tt.want)
		}
	}
}

// The constructor runs in every process of a binary built with cgo; without the variable it
// does nothing.
func TestNotJoinedWithoutEnv(t *testing.T) {
	if Joined() {
		t.Error("Joined in a process started without " + Env)
	}
}
