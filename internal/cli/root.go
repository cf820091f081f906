// Package cli wires gantry's subcommands: flags and environment in,
// package Config structs out, errors mapped to exit codes here only.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// Exit codes, shared by every command.
const (
	ExitOK      = 0
	ExitFailed  = 1 // the pipeline or command ran and failed
	ExitInvalid = 2 // bad input: invalid pipeline file, bad flags
)

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// withCode marks err to exit with code.
func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// silent is an exit code with nothing more to print (the command already
// reported).
type silent int

func (s silent) Error() string { return fmt.Sprintf("exit status %d", int(s)) }

// env holds the process streams, so commands can be tested in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// Main runs gantry with args and returns the process exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "gantry",
		Short:         "Run GitLab CI pipelines locally and deploy their images safely",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// gitlab-ci-local's GCL_* variables and option files fill the flags
	// the command line left unset.
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error { return applyGCLOptions(cmd, stderr) }
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	for _, add := range commands {
		root.AddCommand(add(e))
	}
	withUsage(root)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var s silent
	if errors.As(err, &s) {
		return int(s)
	}
	fmt.Fprintf(stderr, "gantry: %v\n", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	// Flag and argument errors from cobra are usage errors.
	return ExitInvalid
}

// withUsage makes the argument and flag errors of c and its subcommands
// say which command and show its usage line: cobra's own ("accepts 1
// arg(s), received 0") name neither.
func withUsage(c *cobra.Command) {
	if check := c.Args; check != nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return fmt.Errorf("%s: %v (usage: %s)", cmd.Name(), err, cmd.UseLine())
			}
			return nil
		}
	}
	c.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return fmt.Errorf("%s: %v (see %s --help)", cmd.Name(), err, cmd.CommandPath())
	})
	for _, sub := range c.Commands() {
		withUsage(sub)
	}
}

// commands lists the subcommand constructors; each file registers its own.
var commands []func(*env) *cobra.Command
