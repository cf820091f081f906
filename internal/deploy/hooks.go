package deploy

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
)

// runHooks runs local commands with sh -c in dir, the release's variables
// added to the environment; the first failure stops them.
func runHooks(ctx context.Context, dir string, cmds []string, vars map[string]string, out io.Writer) error {
	env := os.Environ()
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+vars[k])
	}
	if out == nil {
		out = io.Discard
	}
	for _, c := range cmds {
		cmd := exec.CommandContext(ctx, "sh", "-c", c)
		cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, out, out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("hook %q: %w", strings.TrimSpace(c), err)
		}
	}
	return nil
}
