package spec

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// processArgs resolves the command line as Docker does:
//   - no --entrypoint: the image's entrypoint, followed by the user's
//     arguments if any, else by the image's Cmd;
//   - --entrypoint given: that entrypoint ("" or nothing clears it),
//     followed by the user's arguments only.
//
// With --init the result runs under the init binary.
func processArgs(o Options) ([]string, error) {
	var entrypoint, cmd []string
	if o.Entrypoint == nil {
		entrypoint = o.Image.Entrypoint
		cmd = o.Cmd
		if len(cmd) == 0 {
			cmd = o.Image.Cmd
		}
	} else {
		entrypoint = *o.Entrypoint
		cmd = o.Cmd
	}
	// An entrypoint of [""] means "none", wherever it came from.
	if len(entrypoint) == 1 && entrypoint[0] == "" {
		entrypoint = nil
	}

	args := make([]string, 0, len(entrypoint)+len(cmd)+2)
	args = append(args, entrypoint...)
	args = append(args, cmd...)
	if len(args) == 0 {
		return nil, errors.New("no command specified")
	}
	if args[0] == "" {
		return nil, errors.New("no command specified: the command is an empty string")
	}
	if o.Init {
		args = append([]string{InitMountPath, "--"}, args...)
	}
	return args, nil
}

// processEnv builds PID 1's environment: ContainerEnv over Docker's
// defaults (see ProcessEnv), after checking that every -e names a key.
func processEnv(o Options, hostname string) ([]string, error) {
	for _, kv := range o.Env {
		if key, _, _ := strings.Cut(kv, "="); key == "" {
			return nil, fmt.Errorf("invalid environment variable: %s", kv)
		}
	}
	return ProcessEnv(hostname, o.Terminal, ContainerEnv(o.Env, o.Image.Env)), nil
}

// ContainerEnv is the container's configured environment, its Config.Env as
// Docker records it (moby's merge of the user's config and the image's): the
// user's -e values as given, bare "KEY"s and repeats included, followed by
// the image's variables whose key the user did not set. It holds neither
// HOSTNAME nor TERM unless the image or the user set them: those are the
// process's (ProcessEnv), and a commit takes this list into the image.
func ContainerEnv(user, image []string) []string {
	if len(user) == 0 {
		return slices.Clone(image)
	}
	env := slices.Clone(user)
	userKeys := make(map[string]bool, len(user))
	for _, kv := range user {
		userKeys[envKey(kv)] = true
	}
	for _, kv := range image {
		if !userKeys[envKey(kv)] {
			env = append(env, kv)
		}
	}
	return env
}

// ProcessEnv is the environment a container's process starts with, as
// Docker's CreateDaemonEnvironment makes it for PID 1 and for every exec:
// PATH (DefaultPathEnv), HOSTNAME and, when the process has a terminal,
// TERM=xterm, with the container's variables (ContainerEnv) over them. A
// later value for a key replaces an earlier one in place; a bare "KEY"
// removes KEY.
func ProcessEnv(hostname string, tty bool, containerEnv []string) []string {
	env := []string{"PATH=" + DefaultPathEnv, "HOSTNAME=" + hostname}
	if tty {
		env = append(env, "TERM=xterm")
	}
	return replaceOrAppendEnv(env, containerEnv)
}

// ExecEnv is the environment of an exec'd process, as Docker's exec makes
// it: ProcessEnv for the exec's own terminal (not the container's), with the
// exec's -e values over it.
func ExecEnv(hostname string, tty bool, containerEnv, execEnv []string) []string {
	return replaceOrAppendEnv(ProcessEnv(hostname, tty, containerEnv), execEnv)
}

func envKey(kv string) string {
	k, _, _ := strings.Cut(kv, "=")
	return k
}

// replaceOrAppendEnv applies overrides to base: "KEY=VAL" replaces KEY where
// it stands or is appended; a bare "KEY" removes it.
func replaceOrAppendEnv(base, overrides []string) []string {
	env := append([]string(nil), base...)
	index := make(map[string]int, len(env)+len(overrides))
	for i, kv := range env {
		index[envKey(kv)] = i
	}
	removed := make(map[int]bool)
	for _, kv := range overrides {
		key, _, hasValue := strings.Cut(kv, "=")
		i, exists := index[key]
		switch {
		case !hasValue:
			if exists {
				removed[i] = true
			}
		case exists:
			env[i] = kv
			delete(removed, i)
		default:
			index[key] = len(env)
			env = append(env, kv)
		}
	}
	out := make([]string, 0, len(env))
	for i, kv := range env {
		if !removed[i] {
			out = append(out, kv)
		}
	}
	return out
}

// processUser turns -u (or the image's User) into the spec's user. Numeric
// "uid" and "uid:gid" are set directly; a lone uid gets gid 0. Anything that
// names a user or group is kept whole in Username, for the runtime to
// resolve against the container's /etc/passwd and /etc/group.
func processUser(o Options) (specs.User, error) {
	u := o.User
	if u == "" {
		u = o.Image.User
	}
	if u == "" {
		return specs.User{}, nil
	}
	name, group, hasGroup := strings.Cut(u, ":")
	if name == "" || (hasGroup && group == "") || strings.Contains(group, ":") {
		return specs.User{}, fmt.Errorf("invalid user: %q", u)
	}
	if !isNumber(name) || (hasGroup && !isNumber(group)) {
		return specs.User{Username: u}, nil
	}
	uid, err := strconv.ParseUint(name, 10, 32)
	if err != nil {
		return specs.User{}, fmt.Errorf("invalid user %q: uid out of range", u)
	}
	var gid uint64
	if hasGroup {
		if gid, err = strconv.ParseUint(group, 10, 32); err != nil {
			return specs.User{}, fmt.Errorf("invalid user %q: gid out of range", u)
		}
	}
	return specs.User{UID: uint32(uid), GID: uint32(gid)}, nil
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
