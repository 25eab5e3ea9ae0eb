package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/geedocker/geedocker/internal/engine"
	"github.com/geedocker/geedocker/internal/spec"
)

func newExecCmd(g *globals) *cobra.Command {
	var interactive, tty, detach, privileged bool
	var env, envFiles []string
	var workdir, user string
	c := &cobra.Command{
		Use:   "exec [OPTIONS] CONTAINER COMMAND [ARG...]",
		Short: "Execute a command in a running container",
		Args:  minArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			for _, path := range envFiles {
				f, err := os.Open(path)
				if err != nil {
					return flagError{fmt.Errorf("open %s: no such file or directory", path)}
				}
				kvs, err := spec.ParseEnvFile(f)
				f.Close()
				if err != nil {
					return flagError{err}
				}
				env = append(kvs, env...)
			}
			if err := checkTTY(g, interactive && !detach, tty); err != nil {
				return err
			}
			e, err := g.engine()
			if err != nil {
				return err
			}
			o := engine.ExecOptions{
				Cmd: args[1:], Env: resolvedEnv(env), WorkingDir: workdir, User: user, Tty: tty,
				ConsoleSize: consoleSize(tty),
				Privileged:  privileged,
			}
			if !detach {
				o.Stdout, o.Stderr = os.Stdout, os.Stderr
				if interactive {
					o.Stdin = os.Stdin
				}
			}
			sigs := make(chan os.Signal, 16)
			if !tty {
				signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2)
				defer signal.Stop(sigs)
			}
			o.ID = engine.NewExecID()
			proc, err := e.Exec(c.Context(), args[0], o)
			if err != nil {
				if errors.Is(err, engine.ErrNotRunning) {
					return err // exit 1, as Docker
				}
				return startErr(err)
			}
			if detach {
				if proc.Console != nil {
					go io.Copy(io.Discard, proc.Console)
				}
				return nil
			}
			var restore func()
			var copyDone chan struct{}
			if proc.Console != nil {
				restore, copyDone = attachTerminal(proc.Console, interactive, io.Discard)
			}
			go func() {
				for sig := range sigs {
					proc.Signal(sig)
				}
			}()
			st, werr := proc.Wait()
			e.ExecDied(args[0], o.ID, st.Code)
			if copyDone != nil {
				<-copyDone
			}
			if restore != nil {
				restore()
			}
			if werr != nil {
				return &StatusError{Code: 126, Err: werr}
			}
			if st.Code != 0 {
				return &StatusError{Code: st.Code}
			}
			return nil
		},
	}
	f := c.Flags()
	f.SetInterspersed(false)
	f.BoolVarP(&interactive, "interactive", "i", false, "Keep STDIN open even if not attached")
	f.BoolVarP(&tty, "tty", "t", false, "Allocate a pseudo-TTY")
	f.BoolVarP(&detach, "detach", "d", false, "Detached mode: run command in the background")
	f.StringArrayVarP(&env, "env", "e", nil, "Set environment variables")
	f.StringArrayVar(&envFiles, "env-file", nil, "Read in a file of environment variables")
	f.StringVarP(&workdir, "workdir", "w", "", "Working directory inside the container")
	f.StringVarP(&user, "user", "u", "", "Username or UID (format: <name|uid>[:<group|gid>])")
	f.BoolVar(&privileged, "privileged", false, "Give extended privileges to the command")
	return c
}

// resolvedEnv takes bare KEY entries from the caller's environment.
func resolvedEnv(kvs []string) []string {
	var out []string
	for _, kv := range spec.ResolveEnv(kvs, os.LookupEnv) {
		if k, v, ok := cutEnv(kv); ok {
			out = append(out, k+"="+v)
		}
	}
	return out
}

func cutEnv(kv string) (string, string, bool) {
	for i := 0; i < len(kv); i++ {
		if kv[i] == '=' {
			return kv[:i], kv[i+1:], true
		}
	}
	return kv, "", false
}
