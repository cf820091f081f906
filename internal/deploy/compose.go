package deploy

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// composeDetect returns the shell command printing the compose command
// the host has: the v2 plugin when present, else the standalone
// docker-compose.
//
// With pluginPath, the v2 plugin is printed as its binary's path, which
// runs standalone as well: for an environment that sets DOCKER_CONFIG
// (registry credentials, say). The docker CLI looks for plugins in
// $DOCKER_CONFIG/cli-plugins before the system directories, so with
// another DOCKER_CONFIG a plugin installed per user, in
// ~/.docker/cli-plugins as Docker's manual install puts it, is not found
// and `docker compose -p` fails as "unknown shorthand flag: 'p'". The
// path comes from the docker CLI itself (docker info's client part, which
// needs no engine); when it cannot say, `docker compose` is kept.
func composeDetect(pluginPath bool) string {
	v2 := `echo "docker compose"`
	if pluginPath {
		v2 = `p=$(docker info --format '{{range .ClientInfo.Plugins}}{{if eq .Name "compose"}}{{.Path}}{{end}}{{end}}' 2>/dev/null); if [ -n "$p" ]; then echo "$p"; else echo "docker compose"; fi`
	}
	return `if docker compose version >/dev/null 2>&1; then ` + v2 + `; elif command -v docker-compose >/dev/null 2>&1; then echo docker-compose; else echo "neither 'docker compose' nor docker-compose is installed" >&2; exit 127; fi`
}

// composeBin turns what composeDetect printed into the start of a command
// line: the two compose commands as they are, a plugin's path quoted.
func composeBin(detected string) string {
	detected = strings.TrimSpace(detected)
	switch detected {
	case "docker compose", "docker-compose":
		return detected
	}
	return shellQuote(detected)
}

// compose builds compose command lines for one host and release.
type compose struct {
	bin     string // "docker compose", "docker-compose" or the v2 plugin's quoted path
	dir     string
	project string   // as composeProject made it
	files   []string // base names, uploaded into dir
	vars    map[string]string
}

// detectCompose asks the host which compose it has; pluginPath as for
// composeDetect.
func detectCompose(ctx context.Context, r Remote, pluginPath bool) (string, error) {
	out, err := output(ctx, r, composeDetect(pluginPath), nil)
	if err != nil {
		return "", fmt.Errorf("find compose: %w", err)
	}
	return composeBin(out), nil
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

// stopRuns stops and removes the one-off containers (compose run's, by
// its labels, which v1 and v2 both set) of service running image; nothing
// is printed. A canceled deploy needs it: killing compose leaves the
// container running, the migration going on with the lock released. The
// environment is locked, so such a container is this deploy's.
func (c compose) stopRuns(service, image string) string {
	ids := c.serviceIDs(service, "label=com.docker.compose.oneoff=True", "ancestor="+shellQuote(image))
	return "ids=" + ids + `; if [ -n "$ids" ]; then docker stop -t 3 $ids >/dev/null; docker rm -f $ids >/dev/null; fi`
}

// serviceIDs is the command substitution listing the ids of the
// project's containers of service (by compose's labels, with the docker
// CLI), narrowed by more docker ps filters, already quoted.
func (c compose) serviceIDs(service string, filters ...string) string {
	ids := "$(docker ps -aq --filter label=com.docker.compose.project=" + shellQuote(c.project) +
		" --filter label=com.docker.compose.service=" + shellQuote(service)
	for _, f := range filters {
		ids += " --filter " + f
	}
	return ids + ")"
}

// composeProject is the project name as both composes accept it, the
// name on the command line and in compose's labels: lower case, only
// letters, digits, - and _, starting with a letter or digit. v1 made any
// name so itself; v2 refuses the rest ("invalid project name"), so an app
// named my.app deploys the same with either.
func composeProject(p string) string {
	p = strings.Map(func(r rune) rune {
		switch {
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return -1
	}, p)
	return strings.TrimLeft(p, "-_")
}

// logs prints the last lines of the services' containers.
func (c compose) logs(services []string, lines int) string {
	return c.cmd(fmt.Sprintf("logs --no-color --tail %d %s", lines, quoteAll(services)))
}
