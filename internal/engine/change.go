package engine

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ApplyChange applies one Dockerfile instruction of `import --change` to an
// image config: CMD, ENTRYPOINT, ENV, WORKDIR, USER, EXPOSE, LABEL,
// STOPSIGNAL, VOLUME.
func ApplyChange(c *v1.Config, change string) error {
	instr, rest, _ := strings.Cut(strings.TrimSpace(change), " ")
	rest = strings.TrimSpace(rest)
	bad := func(why string) error { return fmt.Errorf("invalid --change %q: %s", change, why) }
	switch strings.ToUpper(instr) {
	case "CMD", "ENTRYPOINT":
		if rest == "" {
			return bad(instr + " needs an argument")
		}
		var args []string
		if strings.HasPrefix(rest, "[") {
			if err := json.Unmarshal([]byte(rest), &args); err != nil {
				return bad("not a JSON array of strings")
			}
		} else {
			args = []string{"/bin/sh", "-c", rest}
		}
		if strings.EqualFold(instr, "CMD") {
			c.Cmd = args
		} else {
			c.Entrypoint = args
		}
	case "ENV":
		kvs, err := parseKeyValues(rest)
		if err != nil {
			return bad(err.Error())
		}
		for _, kv := range kvs {
			c.Env = setEnv(c.Env, kv)
		}
	case "LABEL":
		kvs, err := parseKeyValues(rest)
		if err != nil {
			return bad(err.Error())
		}
		if c.Labels == nil {
			c.Labels = map[string]string{}
		}
		for _, kv := range kvs {
			k, v, _ := strings.Cut(kv, "=")
			c.Labels[k] = v
		}
	case "WORKDIR":
		if rest == "" {
			return bad("WORKDIR needs a path")
		}
		c.WorkingDir = rest
	case "USER":
		if rest == "" {
			return bad("USER needs a user")
		}
		c.User = rest
	case "STOPSIGNAL":
		c.StopSignal = rest
	case "EXPOSE":
		if c.ExposedPorts == nil {
			c.ExposedPorts = map[string]struct{}{}
		}
		for _, p := range strings.Fields(rest) {
			ports, err := exposedPorts(p)
			if err != nil {
				return bad(err.Error())
			}
			for _, port := range ports {
				c.ExposedPorts[port] = struct{}{}
			}
		}
	case "VOLUME":
		if c.Volumes == nil {
			c.Volumes = map[string]struct{}{}
		}
		var vols []string
		if strings.HasPrefix(rest, "[") {
			if err := json.Unmarshal([]byte(rest), &vols); err != nil {
				return bad("not a JSON array of strings")
			}
		} else {
			vols = strings.Fields(rest)
		}
		for _, v := range vols {
			c.Volumes[v] = struct{}{}
		}
	default:
		return fmt.Errorf("invalid --change %q: %s is not supported (use CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR)", change, instr)
	}
	return nil
}

// parseKeyValues reads "K=V K2=V2" (values may be double-quoted) or the
// legacy "K V" form.
func parseKeyValues(s string) ([]string, error) {
	if s == "" {
		return nil, fmt.Errorf("missing KEY=VALUE")
	}
	if k, v, ok := strings.Cut(s, " "); ok && !strings.Contains(k, "=") {
		return []string{k + "=" + strings.TrimSpace(v)}, nil
	}
	var out []string
	for s != "" {
		s = strings.TrimLeft(s, " ")
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%q is not KEY=VALUE", s)
		}
		if strings.HasPrefix(v, `"`) {
			end := strings.Index(v[1:], `"`)
			if end < 0 {
				return nil, fmt.Errorf("unterminated quote in %q", s)
			}
			out = append(out, k+"="+v[1:1+end])
			s = v[2+end:]
			continue
		}
		val, next, _ := strings.Cut(v, " ")
		out = append(out, k+"="+val)
		s = next
	}
	return out, nil
}

// setEnv sets KEY=VAL in env, replacing an earlier value of KEY.
func setEnv(env []string, kv string) []string {
	k, _, _ := strings.Cut(kv, "=")
	for i, e := range env {
		if ek, _, _ := strings.Cut(e, "="); ek == k {
			env[i] = kv
			return env
		}
	}
	return append(env, kv)
}

// exposedPorts expands "80", "80/udp", "8000-8002/tcp" into "80/tcp" keys,
// as Docker does.
func exposedPorts(spec string) ([]string, error) {
	ports, proto, _ := strings.Cut(spec, "/")
	if proto == "" {
		proto = "tcp"
	}
	if proto != "tcp" && proto != "udp" && proto != "sctp" {
		return nil, fmt.Errorf("invalid proto: %s", proto)
	}
	lo, hi, isRange := strings.Cut(ports, "-")
	first, err1 := strconv.ParseUint(lo, 10, 16)
	last := first
	var err2 error
	if isRange {
		last, err2 = strconv.ParseUint(hi, 10, 16)
	}
	if err1 != nil || err2 != nil || first == 0 || last < first {
		return nil, fmt.Errorf("invalid containerPort: %s", ports)
	}
	var out []string
	for p := first; p <= last; p++ {
		out = append(out, fmt.Sprintf("%d/%s", p, proto))
	}
	return out, nil
}
