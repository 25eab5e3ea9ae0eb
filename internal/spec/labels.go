package spec

import "io"

// ParseLabelFile reads a --label-file: one KEY=VALUE (or KEY, for an empty value) a line,
// with the env file's rules for blank lines, comments and whitespace.
func ParseLabelFile(r io.Reader) ([]string, error) {
	return parseEnvFile(r, func(string) (string, bool) { return "", true })
}
