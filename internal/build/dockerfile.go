package build

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// Dockerfile is a parsed Dockerfile.
type Dockerfile struct {
	Stages   []instructions.Stage
	MetaArgs []instructions.ArgCommand // ARGs before the first FROM
	Escape   rune
}

// ErrInvalid is the class of Dockerfile errors: syntax, unknown
// instructions, bad arguments.
var ErrInvalid = errors.New("invalid Dockerfile")

// Parse reads a Dockerfile. Errors name the line they are about.
func Parse(b []byte) (*Dockerfile, error) {
	res, err := parser.Parse(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalid, locate(err))
	}
	stages, meta, err := instructions.Parse(res.AST, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalid, locate(err))
	}
	if len(stages) == 0 {
		return nil, fmt.Errorf("%w: no build stage (a Dockerfile needs a FROM)", ErrInvalid)
	}
	return &Dockerfile{Stages: stages, MetaArgs: meta, Escape: res.EscapeToken}, nil
}

// ParseInstruction reads one instruction, an ONBUILD trigger.
func ParseInstruction(line string) (instructions.Command, error) {
	res, err := parser.Parse(strings.NewReader(line))
	if err != nil {
		return nil, fmt.Errorf("%w: ONBUILD trigger %q: %s", ErrInvalid, line, locate(err))
	}
	if len(res.AST.Children) != 1 {
		return nil, fmt.Errorf("%w: ONBUILD trigger %q is not one instruction", ErrInvalid, line)
	}
	v, err := instructions.ParseInstruction(res.AST.Children[0])
	if err != nil {
		return nil, fmt.Errorf("%w: ONBUILD trigger %q: %s", ErrInvalid, line, locate(err))
	}
	cmd, ok := v.(instructions.Command)
	if !ok {
		return nil, fmt.Errorf("%w: ONBUILD trigger %q: FROM is not allowed", ErrInvalid, line)
	}
	switch cmd.(type) {
	case *instructions.OnbuildCommand, *instructions.MaintainerCommand:
		return nil, fmt.Errorf("%w: ONBUILD trigger %q: %s is not allowed", ErrInvalid, line, strings.ToUpper(cmd.Name()))
	}
	return cmd, nil
}

// locate turns a parser error into one line that names the line of the
// Dockerfile it is about.
func locate(err error) string {
	msg := err.Error()
	if strings.Contains(msg, "line ") {
		return msg
	}
	var le *parser.LocationError
	if errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
		return fmt.Sprintf("line %d: %s", le.Locations[0][0].Start.Line, msg)
	}
	return msg
}

// Line is the first line of the Dockerfile a command comes from (0 when
// unknown).
func Line(cmd instructions.Command) int {
	if loc := cmd.Location(); len(loc) > 0 {
		return loc[0].Start.Line
	}
	return 0
}

// Expander expands Dockerfile words ($VAR, ${VAR:-default} ...) against an
// environment, as the builder does.
type Expander struct {
	lex *shell.Lex
}

// NewExpander returns an expander for the Dockerfile's escape character.
func NewExpander(escape rune) *Expander {
	if escape == 0 {
		escape = parser.DefaultEscapeToken
	}
	return &Expander{lex: shell.NewLex(escape)}
}

// Func returns a SingleWordExpander over env ("K=V" entries).
func (x *Expander) Func(env []string) instructions.SingleWordExpander {
	getter := shell.EnvsFromSlice(env)
	return func(word string) (string, error) {
		s, _, err := x.lex.ProcessWord(word, getter)
		return s, err
	}
}

// PredefinedArgs may be given with --build-arg without a matching ARG, and
// never appear in the image's history or cache keys, as in Docker.
var PredefinedArgs = map[string]bool{
	"HTTP_PROXY": true, "http_proxy": true, "HTTPS_PROXY": true, "https_proxy": true,
	"FTP_PROXY": true, "ftp_proxy": true, "NO_PROXY": true, "no_proxy": true,
	"ALL_PROXY": true, "all_proxy": true,
}
