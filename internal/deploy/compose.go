package deploy

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/gantry-ci/gantry/internal/gantryfile"
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

// roll returns the command line that switches services to the release:
// the stop-first ones are stopped and removed (by compose's labels, with
// the docker CLI: a compose run costs a second), then one `up -d` starts
// them all, as deploy.sh does; compose orders them by depends_on.
func (c compose) roll(services []gantryfile.Service) string {
	var b strings.Builder
	names := make([]string, 0, len(services))
	for _, s := range services {
		names = append(names, s.Name)
		if s.Strategy != gantryfile.StopFirst {
			continue
		}
		ids := "$(docker ps -aq --filter label=com.docker.compose.project=" + shellQuote(composeProject(c.project)) +
			" --filter label=com.docker.compose.service=" + shellQuote(s.Name) + ")"
		fmt.Fprintf(&b, `ids=%s; if [ -n "$ids" ]; then docker stop $ids >/dev/null && docker rm $ids >/dev/null; fi && `, ids)
	}
	b.WriteString(c.cmd("up -d " + quoteAll(names)))
	return b.String()
}

// composeProject is the project name as compose labels containers with it
// (lower case, only letters, digits, - and _).
func composeProject(p string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return -1
	}, p)
}

// logs prints the last lines of the services' containers.
func (c compose) logs(services []string, lines int) string {
	return c.cmd(fmt.Sprintf("logs --no-color --tail %d %s", lines, quoteAll(services)))
}
