package engine

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/geedocker/geedocker/internal/container"
)

// ParseRestartPolicy parses --restart: no, on-failure[:N], always,
// unless-stopped.
func ParseRestartPolicy(s string) (container.RestartPolicy, error) {
	name, count, hasCount := strings.Cut(s, ":")
	p := container.RestartPolicy{Name: name}
	switch name {
	case "", "no":
		p.Name = "no"
	case "always", "unless-stopped":
	case "on-failure":
		if hasCount {
			n, err := strconv.Atoi(count)
			if err != nil || n < 0 {
				return p, fmt.Errorf("invalid restart policy: maximum retry count must be a non-negative integer: %q", s)
			}
			p.MaximumRetryCount = n
		}
		return p, nil
	default:
		return p, fmt.Errorf("invalid restart policy '%s'", s)
	}
	if hasCount {
		return p, fmt.Errorf("invalid restart policy: maximum retry count can only be used with 'on-failure': %q", s)
	}
	return p, nil
}

// shouldRestart tells whether the monitor restarts a container that exited
// with code, after restarts restarts.
func shouldRestart(p container.RestartPolicy, code, restarts int, manualStop bool) bool {
	if manualStop {
		return false
	}
	switch p.Name {
	case "always", "unless-stopped":
		return true
	case "on-failure":
		return code != 0 && (p.MaximumRetryCount == 0 || restarts < p.MaximumRetryCount)
	}
	return false
}
