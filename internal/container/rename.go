package container

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/geedocker/geedocker/internal/errdefs"
)

// ErrSameName is a rename to the name the container has.
var ErrSameName = errdefs.InvalidArgument(errors.New("Renaming a container with the same name as its current name"))

// Rename gives container id the name newName. Under the record's lock the new name is
// reserved first (a symlink made with O_EXCL semantics, so two containers never share it),
// then the record written, then the old name freed: a reader finds the container by one
// name or the other at every moment, and a failure leaves the old name in place.
func (s *Store) Rename(id, newName string) (*Container, error) {
	newName = strings.TrimPrefix(newName, "/")
	if newName == "" {
		return nil, errdefs.InvalidArgument(errors.New("Neither old nor new names may be empty"))
	}
	if err := checkName(newName); err != nil {
		return nil, err
	}
	var oldName string
	reserved := false
	c, err := s.Update(id, func(c *Container) error {
		if c.Name == newName {
			return ErrSameName
		}
		oldName = c.Name
		r := &Container{ID: c.ID, Name: newName}
		if err := s.reserveName(r); err != nil {
			return err
		}
		reserved = true
		c.Name = newName
		return nil
	})
	if err != nil {
		if reserved {
			s.unlinkName(newName, id)
		}
		return nil, err
	}
	s.unlinkName(oldName, id)
	return c, nil
}

// unlinkName removes names/<name> when it points to id.
func (s *Store) unlinkName(name, id string) {
	if name == "" {
		return
	}
	link := filepath.Join(s.root, "names", name)
	if target, err := os.Readlink(link); err == nil && target == id {
		os.Remove(link)
	}
}
