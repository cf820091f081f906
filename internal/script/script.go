// Package script builds the bash scripts a job's steps run, the way GitLab
// Runner's bash shell writes them, so that every executor (shell, docker)
// runs the same text: variables exported, cd into the project directory,
// each command echoed as "$ command" before it runs, errexit and pipefail.
package script

import (
	"path"
	"strings"

	"github.com/gantry-ci/gantry/internal/executor"
)

// GitLab's colours for the "$ command" lines (bold green, then reset).
const (
	ansiBoldGreen = "\x1b[32;1m"
	ansiReset     = "\x1b[0;m"
)

// Options says how a script is built.
type Options struct {
	// Dir is where the commands run (CI_PROJECT_DIR as the script sees it);
	// empty means the shell's working directory.
	Dir string
	// TempDir holds file variables as the script sees it; required when a
	// variable has File set.
	TempDir string
	// Variables are exported in order. File variables are written to a
	// file under TempDir; the variable then holds that file's path, as in
	// GitLab.
	Variables []executor.Variable
	// Color echoes commands in GitLab's bold green.
	Color bool
	// Trace turns on xtrace (CI_DEBUG_TRACE).
	Trace bool
	// Stdin leaves the commands the script's standard input instead of an
	// empty one: an @Interactive job reads the user's terminal.
	Stdin bool
}

// Build returns the bash script that runs commands with GitLab's semantics:
// the first failing command ends the script with its exit code (errexit,
// pipefail), and the script exits 0 when all succeed. The script is meant to
// be fed to bash on standard input: the user's commands run inside one
// eval whose input is empty, so a command that reads stdin cannot swallow
// the rest of the script.
//
// Variables whose name is not a valid shell identifier are left out (bash
// cannot export them); executors pass them in the process environment.
func Build(commands []string, opt Options) string {
	var body strings.Builder
	writeExports(&body, opt)
	if opt.Dir != "" {
		body.WriteString("cd " + Quote(opt.Dir) + "\n")
	}
	for _, c := range commands {
		writeCommand(&body, c, opt.Color)
	}

	var b strings.Builder
	// A TERM from a timeout or cancel ends the script with 1 instead of
	// bash printing the script it was evaluating.
	b.WriteString("trap exit 1 TERM\n\n")
	if opt.Trace {
		b.WriteString("set -o xtrace\n")
	}
	// GitLab Runner tests for pipefail with `set -o | grep pipefail`: a
	// grep process per step, 7 ms of CPU, which was most of a trivial
	// job's cost. Bash always has pipefail; another shell (a docker image
	// without bash) is asked in a subshell, which forks but execs nothing.
	b.WriteString("if [ -n \"${BASH_VERSION-}\" ] || (set -o pipefail) 2>/dev/null; then set -o pipefail; fi; set -o errexit\n")
	b.WriteString("set +o noclobber\n")
	// The commands run in this shell, stdin empty, as GitLab's `: | (eval
	// ...)` runs them: errexit ends the shell with the failing command's
	// exit code, as the subshell passes it on, without the two forks of
	// the pipeline and the subshell.
	b.WriteString("eval " + Quote(body.String()))
	if !opt.Stdin {
		b.WriteString(" </dev/null")
	}
	b.WriteString("\n")
	b.WriteString("exit 0\n")
	return b.String()
}

func writeExports(b *strings.Builder, opt Options) {
	made := false
	for _, v := range opt.Variables {
		if !ValidName(v.Name) {
			continue
		}
		if v.File && opt.TempDir != "" {
			if !made {
				// Private: file variables hold secrets.
				b.WriteString("mkdir -p -m 700 " + Quote(opt.TempDir) + "\n")
				made = true
			}
			file := path.Join(opt.TempDir, v.Name)
			b.WriteString("printf '%s' " + Quote(v.Value) + " > " + Quote(file) + "\n")
			b.WriteString("export " + v.Name + "=" + Quote(file) + "\n")
			continue
		}
		b.WriteString("export " + v.Name + "=" + Quote(v.Value) + "\n")
	}
}

// writeCommand echoes and runs one entry of script:. As GitLab does, a
// multi-line entry is echoed by its first line with a note, an empty entry
// prints an empty line.
func writeCommand(b *strings.Builder, command string, color bool) {
	command = strings.TrimSpace(command)
	if command == "" {
		b.WriteString("echo\n")
		return
	}
	shown := command
	if first, _, multi := strings.Cut(command, "\n"); multi {
		shown = first + " # collapsed multi-line command"
	}
	shown = "$ " + shown
	if color {
		shown = ansiBoldGreen + shown + ansiReset
	}
	b.WriteString("printf '%s\\n' " + Quote(shown) + "\n")
	b.WriteString(command + "\n")
}

// Quote returns s as one bash word that expands to exactly s: single quotes,
// with each embedded single quote closed, escaped and reopened.
func Quote(s string) string {
	if s == "" {
		return "''"
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ValidName reports whether name can be exported by a POSIX shell.
func ValidName(name string) bool {
	if name == "" {
		return false
	}
	for i, c := range name {
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
