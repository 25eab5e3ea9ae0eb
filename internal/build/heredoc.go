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

// ResolveFollow is Resolve that follows a final symbolic link too, inside
// the tree: what a RUN --mount=type=bind source names.
func ResolveFollow(t Tree, rel string) (Entry, error) {
	r, err := resolvePath(t, rel, true)
	if err != nil {
		return Entry{}, err
	}
	fi, host, err := t.lstat(r)
	if err != nil {
		return Entry{}, err
	}
	return Entry{Rel: r, Host: host, Info: fi}, nil
}
