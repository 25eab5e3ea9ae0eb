package lockfile

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// helperEnv makes the test binary take the exclusive lock of the file it
// names, say "locked" and wait to be killed.
const helperEnv = "GEEDOCKER_LOCKFILE_HELPER"

func TestMain(m *testing.M) {
	if path := os.Getenv(helperEnv); path != "" {
		if _, err := Acquire(path, Exclusive); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println("locked")
		os.Stdin.Read(make([]byte, 1)) // until killed
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// Two opens of one file are two holders to flock, even in one process.
func TestModes(t *testing.T) {
	cases := []struct {
		held, want Mode
		free       bool
	}{
		{Shared, Shared, true},
		{Shared, Exclusive, false},
		{Exclusive, Shared, false},
		{Exclusive, Exclusive, false},
	}
	for _, dir := range []bool{false, true} {
		for _, c := range cases {
			t.Run(fmt.Sprintf("dir=%v/%d-then-%d", dir, c.held, c.want), func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "lock")
				acq, try := Acquire, TryAcquire
				if dir {
					if err := os.Mkdir(path, 0o700); err != nil {
						t.Fatal(err)
					}
					acq, try = AcquireDir, TryAcquireDir
				}
				held, err := acq(path, c.held)
				if err != nil {
					t.Fatal(err)
				}
				l, ok, err := try(path, c.want)
				if err != nil || ok != c.free {
					t.Fatalf("TryAcquire while held = %v, %v; want %v", ok, err, c.free)
				}
				if ok {
					l.Unlock()
				}
				if err := held.Unlock(); err != nil {
					t.Fatal(err)
				}
				l, ok, err = try(path, c.want)
				if err != nil || !ok {
					t.Fatalf("TryAcquire once released = %v, %v", ok, err)
				}
				l.Unlock()
			})
		}
	}
}

func TestAcquireDirMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gone")
	if _, err := AcquireDir(path, Exclusive); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("AcquireDir of a missing directory: %v", err)
	}
	if _, _, err := TryAcquireDir(path, Exclusive); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("TryAcquireDir of a missing directory: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a directory lock made its directory: %v", err)
	}
}

// TestAcquireWaits has Acquire block while another holds the lock and
// return once it is released.
func TestAcquireWaits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	held, err := Acquire(path, Exclusive)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		l, err := Acquire(path, Shared)
		if err == nil {
			l.Unlock()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("Acquire returned (%v) while the lock was held", err)
	default:
	}
	held.Unlock()
	if err := <-got; err != nil {
		t.Fatal(err)
	}
}

// TestFreedByDeath has another process take the lock and get killed: the
// lock is then free, with nothing to clean up.
func TestFreedByDeath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	if line, err := bufio.NewReader(out).ReadString('\n'); line != "locked\n" {
		t.Fatalf("helper said %q, %v", line, err)
	}
	if _, ok, err := TryAcquire(path, Shared); ok || err != nil {
		t.Fatalf("TryAcquire while another process holds it = %v, %v", ok, err)
	}
	cmd.Process.Kill()
	cmd.Wait() // its files are closed once it is reaped
	killed = true
	l, ok, err := TryAcquire(path, Exclusive)
	if !ok || err != nil {
		t.Fatalf("TryAcquire after the holder died = %v, %v", ok, err)
	}
	l.Unlock()
}
