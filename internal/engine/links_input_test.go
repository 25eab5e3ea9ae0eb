package engine

import (
	"errors"
	"testing"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/errdefs"
)

// A --link alias is a name of a line of the container's /etc/hosts: one with a newline or
// a space (the API takes any string) would add lines or names of its own, so it is refused
// in Docker's words.
func TestLinkAliasCannotInjectHosts(t *testing.T) {
	e, cs := newEngineAndContainers(t)
	if err := cs.Create(&container.Container{ID: container.NewID(), Name: "db"}); err != nil {
		t.Fatal(err)
	}
	if got, err := e.links([]string{"db:my_db.1"}, "web", "bridge"); err != nil || len(got) != 1 || got[0] != "/db:/web/my_db.1" {
		t.Errorf("links(db:my_db.1) = %q, %v", got, err)
	}
	for _, v := range []string{"db:a\n6.6.6.6 evil.example", "db:a b", "db:a\tb", "db:a\rb", "db:\x00"} {
		got, err := e.links([]string{v}, "web", "bridge")
		if !errors.Is(err, errdefs.ErrInvalidArgument) || err.Error() != "bad format for links: "+v {
			t.Errorf("links(%q) = %q, %v; want bad format for links", v, got, err)
		}
	}
}
