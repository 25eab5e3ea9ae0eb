package engine

import (
	"errors"
	"os"
	"testing"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/errdefs"
)

// TestErrorClasses runs use cases that fail and checks the class of each
// error: the API and the CLI answer by class, not by wording.
func TestErrorClasses(t *testing.T) {
	e, err := New(t.TempDir(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateNetwork("taken", "10.213.7.0/24", "", false); err != nil {
		t.Fatal(err)
	}
	cs, err := e.Containers()
	if err != nil {
		t.Fatal(err)
	}
	// A record only, its monitor this test: the engine reads it as running.
	old := container.RunRoot
	container.RunRoot = t.TempDir()
	t.Cleanup(func() { container.RunRoot = old })
	web := &container.Container{ID: container.NewID(), Name: "web"}
	web.HostConfig.NetworkMode = "taken"
	web.State.Running, web.State.Status, web.State.Pid = true, "running", os.Getpid()
	if err := cs.Create(web); err != nil {
		t.Fatal(err)
	}
	start, err := container.ProcessStart(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if err := cs.WriteRunState(web.ID, container.RunState{MonitorPid: os.Getpid(), MonitorStart: start}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		run   func() error
		class error
	}{
		{"no such container", func() error { _, err := e.Container("nosuch"); return err }, errdefs.ErrNotFound},
		{"rm of no such container", func() error { return e.Remove("nosuch", false) }, errdefs.ErrNotFound},
		{"no such image", func() error { _, _, err := e.Lookup("nosuch:1"); return err }, errdefs.ErrNotFound},
		{"rmi of no such image", func() error { _, err := e.RemoveImage("nosuch:1", false); return err }, errdefs.ErrNotFound},
		{"no such network", func() error { _, err := e.Network("nosuch"); return err }, errdefs.ErrNotFound},
		{"network rm of no such network", func() error { return e.RemoveNetwork("nosuch") }, errdefs.ErrNotFound},
		{"container name taken", func() error { return cs.Create(&container.Container{ID: container.NewID(), Name: "web"}) }, errdefs.ErrConflict},
		{"bad container name", func() error { return cs.Create(&container.Container{ID: container.NewID(), Name: "a b"}) }, errdefs.ErrInvalidArgument},
		{"rm of a running container", func() error { return e.Remove("web", false) }, errdefs.ErrConflict},
		{"network rm of a network in use", func() error { return e.RemoveNetwork("taken") }, errdefs.ErrConflict},
		{"network name taken", func() error { _, err := e.CreateNetwork("taken", "10.213.8.0/24", "", false); return err }, errdefs.ErrConflict},
		{"bad network name", func() error { _, err := e.CreateNetwork("a/b", "", "", false); return err }, errdefs.ErrInvalidArgument},
		{"network create of a predefined network", func() error { _, err := e.CreateNetwork("host", "", "", false); return err }, errdefs.ErrForbidden},
		{"network create of the default network", func() error { _, err := e.CreateNetwork("bridge", "", "", false); return err }, errdefs.ErrForbidden},
		{"network rm of a predefined network", func() error { return e.RemoveNetwork("none") }, errdefs.ErrForbidden},
		{"network rm of the default network", func() error { return e.RemoveNetwork("bridge") }, errdefs.ErrForbidden},
		{"bad subnet", func() error { _, err := e.CreateNetwork("n1", "10.1.2", "", false); return err }, errdefs.ErrInvalidArgument},
		{"overlapping subnet", func() error { _, err := e.CreateNetwork("n2", "10.213.7.0/25", "", false); return err }, errdefs.ErrInvalidArgument},
		{"gateway outside the subnet", func() error { _, err := e.CreateNetwork("n3", "10.213.9.0/24", "10.0.0.1", false); return err }, errdefs.ErrInvalidArgument},
		{"hostname with a joined network", func() error { _, err := e.joinableContainer("web", "h"); return err }, errdefs.ErrInvalidArgument},
	}
	classes := []error{errdefs.ErrNotFound, errdefs.ErrConflict, errdefs.ErrInvalidArgument, errdefs.ErrUnavailable, errdefs.ErrForbidden}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.run()
			if err == nil {
				t.Fatal("no error")
			}
			for _, class := range classes {
				if got, want := errors.Is(err, class), class == c.class; got != want {
					t.Errorf("%q: is %v = %v, want %v", err, class, got, want)
				}
			}
		})
	}
}

// TestSentinelClasses holds the class of each sentinel callers tell apart.
func TestSentinelClasses(t *testing.T) {
	cases := []struct {
		err, class error
	}{
		{ErrNoSuchImage, errdefs.ErrNotFound},
		{ErrNoSuchNetwork, errdefs.ErrNotFound},
		{ErrNotRunning, errdefs.ErrConflict},
		{ErrConflict, errdefs.ErrConflict},
	}
	for _, c := range cases {
		if !errors.Is(c.err, c.class) {
			t.Errorf("%q is not %v", c.err, c.class)
		}
	}
}
