package build

import (
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// RawExpand returns an expander of the content of a heredoc (COPY <<EOF):
// $VAR and ${VAR} are replaced from env ("K=V" entries); quotes and
// backslashes stay as written, as BuildKit leaves them.
func RawExpand(env []string) func(string) (string, error) {
	lex := shell.NewLex('\\')
	lex.SkipProcessQuotes = true
	getter := shell.EnvsFromSlice(env)
	return func(s string) (string, error) {
		r, _, err := lex.ProcessWord(s, getter)
		return r, err
	}
}
