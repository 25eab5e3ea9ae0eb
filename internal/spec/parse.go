package spec

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"runtime"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ParseMemory parses a --memory / --memory-swap / --shm-size value the way
// Docker's go-units RAMInBytes does: a number, optionally with one decimal
// part, an optional space, an optional unit k, m, g, t or p (powers of 1024,
// case-insensitive), an optional "i" and an optional "b". "256m", "1.5g",
// "512KiB", "100b" and "1024" are all accepted; fractions of a byte are cut.
// Anything else, including "" and negative values, is "invalid size: '<s>'"
// (with s escaped if it holds a character that does not print, so that the
// error stays one line).
func ParseMemory(s string) (int64, error) {
	bad := fmt.Errorf("invalid size: '%s'", printable(s))

	// The number: digits, then optionally '.' and more digits.
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i == 0 {
		return 0, bad
	}
	if i < len(s) && s[i] == '.' {
		j := i + 1
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		if j == i+1 {
			return 0, bad
		}
		i = j
	}
	num, rest := s[:i], s[i:]

	// The unit: an optional space, then [kmgtp]?, [i]?, [b]?, ignoring case.
	rest = strings.TrimPrefix(rest, " ")
	mult := 1.0
	if rest != "" {
		if m, ok := memoryUnits[unicode.ToLower(rune(rest[0]))]; ok {
			mult = m
			rest = rest[1:]
		}
	}
	if rest != "" && (rest[0] == 'i' || rest[0] == 'I') {
		rest = rest[1:]
	}
	if rest == "b" || rest == "B" {
		rest = ""
	}
	if rest != "" {
		return 0, bad
	}

	// num is digits with at most one '.', so the only error is a number
	// beyond float64, given as +Inf: too large, as is any other.
	f, err := strconv.ParseFloat(num, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, bad
	}
	f *= mult
	if f >= math.MaxInt64 {
		return 0, fmt.Errorf("invalid size: '%s': too large", printable(s))
	}
	return int64(f), nil
}

// printable returns s for an error message: as it is when it is valid UTF-8
// that prints, otherwise with Go's escapes (\n, \x00 …) for what does not.
func printable(s string) string {
	if utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0 {
		return s
	}
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

var memoryUnits = map[rune]float64{
	'k': 1 << 10,
	'm': 1 << 20,
	'g': 1 << 30,
	't': 1 << 40,
	'p': 1 << 50,
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// numCPU is the number of CPUs the --cpus range is checked against (Docker
// uses the CPUs the daemon may run on). A variable so tests can pin it.
var numCPU = runtime.NumCPU

// ParseCPUs parses a --cpus value ("1.5", "0.25", "2") into NanoCPUs
// (1e9 per CPU), exactly, the way the Docker CLI does. Values that are not
// numbers (including NaN and Inf) or that need more precision than a
// nano-CPU are refused with Docker's wording; so are negative values, with
// the daemon's range message.
func ParseCPUs(s string) (int64, error) {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return 0, fmt.Errorf("failed to parse %v as a rational number", s)
	}
	nano := r.Mul(r, big.NewRat(1e9, 1))
	if !nano.IsInt() {
		return 0, errors.New("value is too precise")
	}
	if !nano.Num().IsInt64() {
		return 0, cpuRangeError()
	}
	n := nano.Num().Int64()
	if n < 0 {
		return 0, cpuRangeError()
	}
	return n, nil
}

func cpuRangeError() error {
	n := numCPU()
	return fmt.Errorf("Range of CPUs is from 0.01 to %d.00, as there are only %d CPUs available", n, n)
}

// ParseEnvFile reads Docker's --env-file format: one KEY=VALUE per line,
// values taken verbatim (no quotes, no expansion); leading whitespace is
// ignored; blank lines and lines starting with '#' are skipped; a line with
// a KEY alone takes KEY from the caller's environment and is dropped when
// KEY is unset there. Keys may not contain whitespace.
func ParseEnvFile(r io.Reader) ([]string, error) {
	return parseEnvFile(r, os.LookupEnv)
}

func parseEnvFile(r io.Reader, lookup func(string) (string, bool)) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		raw := sc.Bytes()
		if n == 1 {
			raw = bytes.TrimPrefix(raw, []byte("\xEF\xBB\xBF")) // UTF-8 byte order mark
		}
		if !utf8.Valid(raw) {
			return nil, fmt.Errorf("env file contains invalid utf8 bytes at line %d", n)
		}
		line := strings.TrimLeftFunc(string(raw), unicode.IsSpace)
		if line == "" || line[0] == '#' {
			continue
		}
		key, value, hasValue := strings.Cut(line, "=")
		if strings.ContainsFunc(key, unicode.IsSpace) {
			return nil, fmt.Errorf("poorly formatted environment: variable '%s' contains whitespaces", key)
		}
		if key == "" {
			return nil, fmt.Errorf("poorly formatted environment: no variable name on line '%s'", line)
		}
		if hasValue {
			out = append(out, key+"="+value)
			continue
		}
		if v, ok := lookup(key); ok {
			out = append(out, key+"="+v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading env file: %w", err)
	}
	return out, nil
}

// ResolveEnv resolves -e values the way the Docker CLI does: "KEY=VAL" is
// kept, "KEY" takes KEY's value from lookup (normally os.LookupEnv). When KEY
// is unset there, "KEY" is kept bare, which is Docker's way of saying "unset
// KEY in the container": Build then leaves KEY out of the environment, even
// when the image sets it. Empty entries are dropped.
func ResolveEnv(kvs []string, lookup func(string) (string, bool)) []string {
	out := make([]string, 0, len(kvs))
	for _, kv := range kvs {
		if kv == "" {
			continue
		}
		if strings.Contains(kv, "=") {
			out = append(out, kv)
			continue
		}
		if v, ok := lookup(kv); ok {
			out = append(out, kv+"="+v)
			continue
		}
		out = append(out, kv)
	}
	return out
}
