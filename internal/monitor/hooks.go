package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// Hidden geedocker commands that the detached monitor runs as its hooks.
const (
	PrepareCommand = "container-prepare"
	CleanupCommand = "container-cleanup"
)

// ExecHooks are the hooks of the detached monitor: short-lived geedocker commands, so that
// the monitor itself holds no network, cgroup-making or store code.
//
//	geedocker GLOBAL container-prepare ID                   prints the Start as JSON
//	geedocker GLOBAL container-prepare ID --network-pid PID wires a user namespace's network
//	geedocker GLOBAL container-cleanup ID --exit-code N [--oom] [--start-failed]
//	                                                        prints "restart MILLISECONDS" or "exit"
//
// A failing command exits with the code Docker gives the failure (125, 126, 127) and says
// why on stderr.
type ExecHooks struct {
	Engine string   // the geedocker binary
	Global []string // its global flags (--root, --config-file)
	ID     string
}

func (h ExecHooks) run(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, h.Engine, append(append([]string{}, h.Global...), args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimPrefix(strings.TrimSpace(stderr.String()), "Error: ")
		if msg == "" {
			msg = err.Error()
		}
		code := 125
		var ee *exec.ExitError
		if errors.As(err, &ee) && (ee.ExitCode() == 126 || ee.ExitCode() == 127) {
			code = ee.ExitCode()
		}
		return nil, &StartError{Code: code, Err: errors.New(msg)}
	}
	return out, nil
}

// Prepare runs container-prepare.
func (h ExecHooks) Prepare(ctx context.Context) (*Start, error) {
	out, err := h.run(ctx, PrepareCommand, h.ID)
	if err != nil {
		return nil, err
	}
	var st Start
	if err := json.Unmarshal(out, &st); err != nil {
		return nil, fmt.Errorf("reading what %s said: %w", PrepareCommand, err)
	}
	return &st, nil
}

// Created runs container-prepare --network-pid.
func (h ExecHooks) Created(pid int) error {
	_, err := h.run(context.Background(), PrepareCommand, h.ID, "--network-pid", strconv.Itoa(pid))
	return err
}

// Exited runs container-cleanup.
func (h ExecHooks) Exited(e Exit) (Next, error) {
	args := []string{CleanupCommand, h.ID, "--exit-code", strconv.Itoa(e.Code)}
	if e.OOMKilled {
		args = append(args, "--oom")
	}
	if e.StartFailed {
		args = append(args, "--start-failed")
	}
	out, err := h.run(context.Background(), args...)
	if err != nil {
		return Next{}, err
	}
	return ParseNext(string(out))
}
