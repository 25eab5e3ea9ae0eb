package cli

import (
	"errors"
	"os"

	"golang.org/x/term"
)

// checkTTY is Docker's check before a terminal session (run -it, exec -it):
// the input must be a terminal itself, or the session would wait forever.
func checkTTY(g *globals, attachStdin, tty bool) error {
	if !attachStdin || !tty {
		return nil
	}
	if f, ok := g.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return errors.New("the input device is not a TTY")
}
