package cli

import (
	"strings"

	"github.com/geedocker/geedocker/internal/spec"
)

// checkedList is a repeatable flag whose every value is checked (and put in normal form) as
// it is parsed, like Docker's ListOpts with a validator: a bad value gives Docker's
// `invalid argument "…" for "--flag" flag: …` and exit 125.
type checkedList struct {
	vals  *[]string
	check func(string) (string, error)
}

func newCheckedList(vals *[]string, check func(string) (string, error)) *checkedList {
	return &checkedList{vals: vals, check: check}
}

func (l *checkedList) Set(s string) error {
	v, err := l.check(s)
	if err != nil {
		return err
	}
	*l.vals = append(*l.vals, v)
	return nil
}

func (l *checkedList) String() string { return "[" + strings.Join(*l.vals, ",") + "]" }
func (l *checkedList) Type() string   { return "list" }

func checkAlias(a string) (string, error) { return a, spec.ValidateAlias(a) }
