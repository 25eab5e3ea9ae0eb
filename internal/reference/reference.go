// Package reference parses and normalises image references the way Docker does.
//
// A reference is NAME[:TAG][@DIGEST]. NAME is [DOMAIN/]PATH; a one-word name on
// Docker Hub gains the "library/" prefix, a missing domain means docker.io, and a
// reference with neither tag nor digest means the tag "latest". Errors use
// Docker's words ("invalid reference format: repository name must be lowercase")
// so that users recognise them.
package reference

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
)

const (
	// DefaultDomain is the registry of one-word and two-word names.
	DefaultDomain = "docker.io"
	// DefaultTag is used when a reference names neither a tag nor a digest.
	DefaultTag     = "latest"
	officialPrefix = "library/"
	maxNameLength  = 255
)

// ErrInvalid is the class of every parse error; match it with errors.Is.
var ErrInvalid = errors.New("invalid reference format")

const (
	pathComponent = `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
	domainPart    = `(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])`
)

// The expressions are compiled on first use: every geedocker process,
// including each container's init, would pay for them at start otherwise.
var (
	domainRe    = lazyRegexp(`^(?:` + domainPart + `(?:\.` + domainPart + `)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$`)
	pathRe      = lazyRegexp(`^` + pathComponent + `(?:/` + pathComponent + `)*$`)
	tagRe       = lazyRegexp(`^[\w][\w.-]{0,127}$`)
	digestRe    = lazyRegexp(`^sha256:[a-f0-9]{64}$`)
	anyDigestRe = lazyRegexp(`^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$`)
)

type lazyRe func() *regexp.Regexp

func lazyRegexp(expr string) lazyRe {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

func (l lazyRe) MatchString(s string) bool { return l().MatchString(s) }

// Reference is a parsed, normalised image reference.
type Reference struct {
	Domain string // registry host[:port], "docker.io" for Docker Hub
	Path   string // repository path in the registry, "library/busybox"
	Tag    string // may be empty when Digest is set
	Digest string // "sha256:<hex>" or empty
}

// Parse parses s and fills in Docker's defaults (domain, library/, latest).
func Parse(s string) (Reference, error) {
	r, err := parse(s)
	if err != nil {
		return Reference{}, err
	}
	if r.Tag == "" && r.Digest == "" {
		r.Tag = DefaultTag
	}
	return r, nil
}

// ParseName parses a reference that may carry a tag but no digest and does not
// default the tag (used by `tag` and `import` targets, where Docker adds latest
// the same way). It returns an error for a digest.
func ParseName(s string) (Reference, error) {
	r, err := Parse(s)
	if err != nil {
		return r, err
	}
	if r.Digest != "" {
		return Reference{}, fmt.Errorf("%w: %q: a digest is not allowed here", ErrInvalid, s)
	}
	return r, nil
}

func parse(s string) (Reference, error) {
	if s == "" {
		return Reference{}, fmt.Errorf("%w: empty reference", ErrInvalid)
	}
	var r Reference
	name := s
	if i := strings.Index(name, "@"); i >= 0 {
		r.Digest = name[i+1:]
		name = name[:i]
		if !anyDigestRe.MatchString(r.Digest) {
			return Reference{}, ErrInvalid
		}
		if !digestRe.MatchString(r.Digest) {
			if strings.HasPrefix(r.Digest, "sha256:") {
				return Reference{}, fmt.Errorf("%w: invalid sha256 digest %q", ErrInvalid, r.Digest)
			}
			return Reference{}, fmt.Errorf("%w: unsupported digest %q (only sha256)", ErrInvalid, r.Digest)
		}
	}
	// The tag is after the last colon that follows the last slash.
	if i := strings.LastIndex(name, ":"); i >= 0 && i > strings.LastIndex(name, "/") {
		r.Tag = name[i+1:]
		name = name[:i]
		if !tagRe.MatchString(r.Tag) {
			return Reference{}, ErrInvalid
		}
	}
	domain, path := splitDomain(name)
	if domain != "" && !domainRe.MatchString(domain) {
		return Reference{}, ErrInvalid
	}
	if !pathRe.MatchString(path) {
		if pathRe.MatchString(strings.ToLower(path)) {
			return Reference{}, fmt.Errorf("%w: repository name must be lowercase", ErrInvalid)
		}
		return Reference{}, ErrInvalid
	}
	if domain == "" || domain == "index.docker.io" {
		domain = DefaultDomain
	}
	if domain == DefaultDomain && !strings.Contains(path, "/") {
		path = officialPrefix + path
	}
	// The limit is on the normalised name, as in Docker, so that whatever
	// parses can be written in full and parsed again.
	if len(domain)+1+len(path) > maxNameLength {
		return Reference{}, fmt.Errorf("%w: repository name must not be more than %d characters", ErrInvalid, maxNameLength)
	}
	r.Domain, r.Path = domain, path
	return r, nil
}

// splitDomain separates the registry from the path: the first component is a
// registry when it holds a dot or a colon, is "localhost", or has upper case.
func splitDomain(name string) (domain, path string) {
	i := strings.Index(name, "/")
	if i < 0 {
		return "", name
	}
	first := name[:i]
	if strings.ContainsAny(first, ".:") || first == "localhost" || strings.ToLower(first) != first {
		return first, name[i+1:]
	}
	return "", name
}

// Name is the fully qualified repository: "docker.io/library/busybox".
func (r Reference) Name() string { return r.Domain + "/" + r.Path }

// FamiliarName is the repository as Docker shows it: "busybox",
// "team/app", "127.0.0.1:5000/busybox"; it parses back to the same
// repository. So "library/" is dropped only from a one-word name
// ("docker.io/library/a/b" stays "library/a/b"), and a Docker Hub path whose
// first element would be read as a registry keeps "docker.io/"
// ("docker.io/localhost/app", where Docker shows an ambiguous "localhost/app").
func (r Reference) FamiliarName() string {
	if r.Domain != DefaultDomain {
		return r.Name()
	}
	path := r.Path
	if rest, ok := strings.CutPrefix(path, officialPrefix); ok && !strings.Contains(rest, "/") {
		path = rest
	}
	if domain, _ := splitDomain(path); domain != "" {
		return r.Name()
	}
	return path
}

// String is the fully qualified form: "docker.io/library/busybox:latest".
func (r Reference) String() string { return r.format(r.Name()) }

// Familiar is the short form Docker prints: "busybox:latest".
func (r Reference) Familiar() string { return r.format(r.FamiliarName()) }

func (r Reference) format(name string) string {
	if r.Tag != "" {
		name += ":" + r.Tag
	}
	if r.Digest != "" {
		name += "@" + r.Digest
	}
	return name
}

// FamiliarTagged is "busybox:latest", or "" when the reference has no tag.
func (r Reference) FamiliarTagged() string {
	if r.Tag == "" {
		return ""
	}
	return r.FamiliarName() + ":" + r.Tag
}

// FamiliarDigested is "busybox@sha256:…" for a digest d.
func (r Reference) FamiliarDigested(d string) string { return r.FamiliarName() + "@" + d }

// IsLoopback reports whether the registry is on this host, where Docker allows
// plain HTTP without configuration.
func (r Reference) IsLoopback() bool { return IsLoopbackHost(r.Domain) }

// IsLoopbackHost reports whether host[:port] names localhost, 127.0.0.0/8 or ::1.
func IsLoopbackHost(hostport string) bool {
	host := hostport
	if strings.HasPrefix(host, "[") {
		if i := strings.Index(host, "]"); i > 0 {
			host = host[1:i]
		}
	} else if i := strings.LastIndex(host, ":"); i >= 0 {
		host = host[:i]
	}
	return host == "localhost" || host == "::1" || strings.HasPrefix(host, "127.")
}
