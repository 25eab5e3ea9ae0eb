package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/geedocker/geedocker/internal/auth"
)

func newLoginCmd(g *globals) *cobra.Command {
	var user, password string
	var passwordStdin bool
	c := &cobra.Command{
		Use:   "login [OPTIONS] [SERVER]",
		Short: "Log in to a registry",
		Args:  rangeArgs(0, 1),
		RunE: func(c *cobra.Command, args []string) error {
			server := auth.DockerHub
			if len(args) == 1 {
				server = args[0]
			}
			if passwordStdin {
				if password != "" {
					return flagError{fmt.Errorf("--password and --password-stdin are mutually exclusive")}
				}
				if user == "" {
					return flagError{fmt.Errorf("must provide --username with --password-stdin")}
				}
				b, err := io.ReadAll(g.stdin)
				if err != nil {
					return err
				}
				password = strings.TrimRight(string(b), "\r\n")
			}
			in := bufio.NewReader(g.stdin)
			if user == "" {
				fmt.Fprint(g.stdout, "Username: ")
				line, err := in.ReadString('\n')
				if err != nil && line == "" {
					return fmt.Errorf("reading username: %w", err)
				}
				user = strings.TrimSpace(line)
			}
			if password == "" {
				fmt.Fprint(g.stdout, "Password: ")
				if f, ok := g.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
					b, err := term.ReadPassword(int(f.Fd()))
					fmt.Fprintln(g.stdout)
					if err != nil {
						return err
					}
					password = string(b)
				} else {
					line, _ := in.ReadString('\n')
					password = strings.TrimRight(line, "\r\n")
				}
			}
			if user == "" || password == "" {
				return fmt.Errorf("login to %s: username and password are required", server)
			}
			e, err := g.engine()
			if err != nil {
				return err
			}
			if err := e.Login(c.Context(), server, user, password); err != nil {
				return err
			}
			fmt.Fprintln(g.stdout, "Login Succeeded")
			return nil
		},
	}
	c.Flags().StringVarP(&user, "username", "u", "", "Username")
	c.Flags().StringVarP(&password, "password", "p", "", "Password")
	c.Flags().BoolVar(&passwordStdin, "password-stdin", false, "Take the password from stdin")
	return c
}

func newLogoutCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "logout [SERVER]",
		Short: "Log out from a registry",
		Args:  rangeArgs(0, 1),
		RunE: func(c *cobra.Command, args []string) error {
			server := auth.DockerHub
			if len(args) == 1 {
				server = args[0]
			}
			removed, err := auth.Logout(server)
			if err != nil {
				return err
			}
			if !removed {
				fmt.Fprintf(g.stdout, "Not logged in to %s\n", server)
				return nil
			}
			fmt.Fprintf(g.stdout, "Removing login credentials for %s\n", server)
			return nil
		},
	}
}
