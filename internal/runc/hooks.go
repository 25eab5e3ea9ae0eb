package runc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// runHooks runs hooks in order, each with the state as JSON on its stdin, and stops at the
// first that fails or outlives its timeout.
func runHooks(ctx context.Context, kind string, hooks []specs.Hook, st State) error {
	if len(hooks) == 0 {
		return nil
	}
	in, err := hookState(st)
	if err != nil {
		return fmt.Errorf("encoding state for %s hooks: %w", kind, err)
	}
	for i, h := range hooks {
		if err := runHook(ctx, h, in); err != nil {
			return fmt.Errorf("%s hook #%d (%s): %w", kind, i, h.Path, err)
		}
	}
	return nil
}

// hookState is what a hook reads on its stdin: the OCI state (specs.State), as runc gives it,
// without runc's own fields (rootfs, created, owner).
func hookState(st State) ([]byte, error) {
	return json.Marshal(specs.State{Version: st.OCIVersion, ID: st.ID, Status: specs.ContainerState(st.Status),
		Pid: st.Pid, Bundle: st.Bundle, Annotations: st.Annotations})
}

func runHook(ctx context.Context, h specs.Hook, state []byte) error {
	if h.Timeout != nil {
		if *h.Timeout <= 0 {
			return fmt.Errorf("timeout %d is not positive", *h.Timeout)
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(*h.Timeout)*time.Second)
		defer cancel()
	}
	args := h.Args
	if len(args) == 0 {
		args = []string{h.Path}
	}
	var stderr bytes.Buffer
	cmd := &exec.Cmd{Path: h.Path, Args: args, Env: h.Env, Stdin: bytes.NewReader(state), Stderr: &stderr}
	if err := cmd.Start(); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { _ = cmd.Process.Kill() })
	err := cmd.Wait()
	if !stop() {
		return fmt.Errorf("timed out: %w", ctx.Err())
	}
	if err != nil {
		if msg := bytes.TrimSpace(stderr.Bytes()); len(msg) > 0 {
			return fmt.Errorf("%w: %s", err, msg)
		}
		return err
	}
	return nil
}
