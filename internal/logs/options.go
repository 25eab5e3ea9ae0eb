package logs

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/geedocker/geedocker/internal/logs/logfile"
)

// Options say how a log is kept (package logfile).
type Options = logfile.Options

// ParseOptions parses --log-opt values ("max-size=10m", "max-file=3") with
// Docker's rules and error messages. Sizes are decimal as in Docker's
// json-file driver: 10m is 10,000,000 bytes (and so is 10MiB). max-file
// without max-size is accepted and has no effect, as in Docker.
func ParseOptions(opts []string) (Options, error) {
	o := Options{MaxFile: 1}
	for _, opt := range opts {
		key, value, _ := strings.Cut(opt, "=")
		switch key {
		case "max-size", "max-file":
			if err := setRotation(&o, key, value); err != nil {
				return Options{}, err
			}
		case "compress", "labels", "labels-regex", "env", "env-regex", "tag":
			return Options{}, fmt.Errorf("log opt '%s' of the json-file log driver is not supported by geedocker", key)
		default:
			return Options{}, fmt.Errorf("unknown log opt '%s' for json-file log driver", printable(key))
		}
	}
	return o, nil
}

// ParseDriverOptions checks a --log-driver and parses its --log-opt values with Docker's
// rules: json-file as ParseOptions; local takes max-size (default 20 MiB), max-file
// (default 5) and compress (a boolean; rotated files are kept uncompressed); none keeps no
// log and ignores options, as Docker does. Any other driver is refused in Docker's words.
func ParseDriverOptions(driver string, opts []string) (Options, error) {
	switch driver {
	case "", JSONFile:
		o, err := ParseOptions(opts)
		o.Driver = JSONFile
		return o, err
	case None:
		return Options{Driver: None, MaxFile: 1}, nil
	case Local:
	default:
		return Options{}, fmt.Errorf("logger: no log driver named '%s' is registered", printable(driver))
	}
	o := Options{Driver: Local, MaxSize: localMaxSize, MaxFile: localMaxFile}
	for _, opt := range opts {
		key, value, _ := strings.Cut(opt, "=")
		switch key {
		case "max-size", "max-file":
			if err := setRotation(&o, key, value); err != nil {
				return Options{}, err
			}
		case "compress":
			if _, err := strconv.ParseBool(value); err != nil {
				return Options{}, fmt.Errorf("compress: invalid value %q: must be a boolean", printable(value))
			}
		default:
			return Options{}, fmt.Errorf("unknown log opt '%s' for log driver local", printable(key))
		}
	}
	return o, nil
}

// setRotation sets max-size or max-file (key) from its --log-opt value, with Docker's checks.
func setRotation(o *Options, key, value string) error {
	if key == "max-size" {
		n, err := parseSize(value)
		if err != nil {
			return fmt.Errorf("max-size: %w", err)
		}
		if n <= 0 {
			return errors.New("max-size must be a positive number")
		}
		o.MaxSize = n
		return nil
	}
	n, err := strconv.Atoi(value)
	if err != nil {
		return fmt.Errorf("max-file: %w", err)
	}
	if n < 1 {
		return errors.New("max-file cannot be less than 1")
	}
	o.MaxFile = n
	return nil
}

// sizePattern is the syntax of Docker's go-units sizes: a number, an
// optional space, an optional unit letter, then optional "i" and "b".
// Compiled on first use: every geedocker process, a container init among
// them, would pay for it at start otherwise.
var sizePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$`) })

// parseSize reads a size as go-units' FromHumanSize does (decimal units).
func parseSize(s string) (int64, error) {
	m := sizePattern().FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("invalid size: '%s'", printable(s))
	}
	// The only error for digits is a number beyond float64, given as
	// +Inf: too large, as is any other.
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("invalid size: '%s'", s)
	}
	switch strings.ToLower(m[2]) {
	case "k":
		n *= 1e3
	case "m":
		n *= 1e6
	case "g":
		n *= 1e9
	case "t":
		n *= 1e12
	case "p":
		n *= 1e15
	}
	if n >= math.MaxInt64 {
		return 0, fmt.Errorf("invalid size: '%s' is too large", s)
	}
	return int64(n), nil
}

// printable returns s for an error message: as it is when it is valid UTF-8
// that prints, otherwise with Go's escapes (\n, \x00 …) for what does not,
// so that the message stays one line.
func printable(s string) string {
	if utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0 {
		return s
	}
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}
