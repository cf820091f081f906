package deploy

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// composeDetect prints the compose command the host has: the v2 plugin
// when present, else the standalone docker-compose.
const composeDetect = `if docker compose version >/dev/null 2>&1; then echo "docker compose"; elif command -v docker-compose >/dev/null 2>&1; then echo docker-compose; else echo "neither 'docker compose' nor docker-compose is installed" >&2; exit 127; fi`

// compose builds compose command lines for one host and release.
type compose struct {
	bin     string // "docker compose" or "docker-compose"
	dir     string
	project string
	files   []string // base names, uploaded into dir
	vars    map[string]string
}

// detectCompose asks the host which compose it has.
func detectCompose(ctx context.Context, r Remote) (string, error) {
	out, err := output(ctx, r, composeDetect, nil)
	if err != nil {
		return "", fmt.Errorf("find compose: %w", err)
	}
	return strings.TrimSpace(out), nil
}

// with returns a copy of c for another release's variables.
func (c compose) with(vars map[string]string) compose {
	c.vars = vars
	return c
}

// cmd returns the shell command line running compose with args (already
// quoted where needed) in the release's directory and variables.
func (c compose) cmd(args string) string {
	var b strings.Builder
	b.WriteString("cd ")
	b.WriteString(shellQuote(c.dir))
	b.WriteString(" && ")
	keys := make([]string, 0, len(c.vars))
	for k := range c.vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(shellQuote(c.vars[k]))
		b.WriteByte(' ')
	}
	b.WriteString(c.bin)
	b.WriteString(" -p ")
	b.WriteString(shellQuote(c.project))
	for _, f := range c.files {
		b.WriteString(" -f ")
		b.WriteString(shellQuote(f))
	}
	b.WriteByte(' ')
	b.WriteString(args)
	return b.String()
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = shellQuote(n)
	}
	return strings.Join(q, " ")
}

// pull pulls the services' images.
func (c compose) pull(services []string) string {
	return c.cmd("pull -q " + quoteAll(services))
}

// run runs command once in a new container of service, removed after.
// The command is a shell command line of the user's, as in deploy.sh.
func (c compose) run(service, command string) string {
	return c.cmd("run --rm -T " + shellQuote(service) + " " + command)
}

// rollSteps returns the command lines that switch services to the
// release, in order: consecutive recreate services share one `up -d`
// (compose then orders them by depends_on), a stop-first service is
// stopped and removed before its own `up -d`.
func (c compose) rollSteps(services []Service) []string {
	var steps []string
	var batch []string
	flush := func() {
		if len(batch) > 0 {
			steps = append(steps, c.cmd("up -d "+quoteAll(batch)))
			batch = nil
		}
	}
	for _, s := range services {
		if s.Strategy == StopFirst {
			flush()
			steps = append(steps, c.cmd("rm -s -f "+shellQuote(s.Name))+" && "+c.cmd("up -d "+shellQuote(s.Name)))
			continue
		}
		batch = append(batch, s.Name)
	}
	flush()
	return steps
}

// logs prints the last lines of the services' containers.
func (c compose) logs(services []string, lines int) string {
	return c.cmd(fmt.Sprintf("logs --no-color --tail %d %s", lines, quoteAll(services)))
}
