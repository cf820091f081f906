package docker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/gantry-ci/gantry/internal/executor"
	"github.com/gantry-ci/gantry/internal/registryauth"
)

// serviceLogLines is how much of a failed service's log the job log shows.
const serviceLogLines = 20

// HealthcheckPortVariable names the service variable that picks the one
// port to wait for, as in GitLab, when the image exposes several or none.
const HealthcheckPortVariable = "HEALTHCHECK_TCP_PORT"

// Aliases returns the host names a service is reachable by, as GitLab
// Runner makes them: from the image name without tag, digest or registry
// port, "/" replaced by "__" and, as a second alias, by "-"; then the
// service's own aliases (each entry may list several, separated by commas
// or spaces). Duplicates are dropped.
func Aliases(s executor.Service) []string {
	name := s.Name
	if i := strings.IndexByte(name, '@'); i >= 0 {
		name = name[:i]
	}
	if i := strings.LastIndexByte(name, ':'); i > strings.LastIndexByte(name, '/') {
		name = name[:i]
	}
	// A registry port ("host:5000/group/image") is not part of a host name.
	if first, rest, ok := strings.Cut(name, "/"); ok {
		if h, _, hasPort := strings.Cut(first, ":"); hasPort {
			name = h + "/" + rest
		}
	}
	var out []string
	add := func(a string) {
		if a != "" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	add(strings.ReplaceAll(name, "/", "__"))
	add(strings.ReplaceAll(name, "/", "-"))
	for _, a := range s.Aliases {
		for _, f := range strings.FieldsFunc(a, func(r rune) bool { return r == ',' || r == ' ' }) {
			add(f)
		}
	}
	return out
}

// service is a started service container.
type service struct {
	def     executor.Service
	id      string
	aliases []string
	ports   []int
}

// String names the service for messages by its image and the alias the
// user chose (else the first one GitLab derives).
func (s *service) String() string {
	alias := s.aliases[0]
	if n := len(Aliases(executor.Service{Image: s.def.Image})); n < len(s.aliases) {
		alias = s.aliases[n]
	}
	return fmt.Sprintf("service %s (%s)", s.def.Name, alias)
}

// healthPortSet reports whether the service names its port to wait for.
func (s *service) healthPortSet() bool {
	return slices.ContainsFunc(s.def.Variables, func(v executor.Variable) bool { return v.Name == HealthcheckPortVariable })
}

// serviceEnv is what a service container gets: the job's variables, then
// the service's own, which win (GitLab passes job variables to services).
// File variables stay out: their path exists only in the job container.
func serviceEnv(job *executor.Job, s executor.Service) []string {
	var env []string
	seen := map[string]int{}
	set := func(name, value string) {
		if i, ok := seen[name]; ok {
			env[i] = name + "=" + value
			return
		}
		seen[name] = len(env)
		env = append(env, name+"="+value)
	}
	for _, v := range job.Env {
		if !v.File {
			set(v.Name, v.Value)
		}
	}
	for _, v := range s.Variables {
		set(v.Name, v.Value)
	}
	return env
}

// servicePorts are the TCP ports to wait for: HEALTHCHECK_TCP_PORT when the
// service sets it, else every TCP port the image exposes.
func servicePorts(s executor.Service, img image.InspectResponse) ([]int, error) {
	for _, v := range s.Variables {
		if v.Name == HealthcheckPortVariable {
			p, err := strconv.Atoi(strings.TrimSpace(v.Value))
			if err != nil || p <= 0 || p > 65535 {
				return nil, fmt.Errorf("service %s: %s=%q is not a port number", s.Name, HealthcheckPortVariable, v.Value)
			}
			return []int{p}, nil
		}
	}
	var ports []int
	if img.Config != nil {
		// Keys are "5432/tcp"; a bare number is TCP too.
		for p := range img.Config.ExposedPorts {
			num, proto, _ := strings.Cut(p, "/")
			if n, err := strconv.Atoi(num); err == nil && (proto == "" || proto == "tcp") {
				ports = append(ports, n)
			}
		}
	}
	sort.Ints(ports)
	return ports, nil
}

// startService pulls, creates and starts service i on the job's network.
func (b *Backend) startService(ctx context.Context, job *executor.Job, netName string, i int, def executor.Service, creds []registryauth.Credentials, log io.Writer) (*service, error) {
	what := "service " + def.Name
	img, err := b.ensureImage(ctx, def.Name, def.PullPolicy, what+" of job "+job.Name, creds, log)
	if err != nil {
		return nil, err
	}
	ports, err := servicePorts(def, img)
	if err != nil {
		return nil, err
	}
	s := &service{def: def, aliases: Aliases(def), ports: ports}
	cfg := &container.Config{
		Image:  img.ID,
		Env:    serviceEnv(job, def),
		User:   def.User,
		Labels: b.labels(job, "service"),
	}
	if len(def.Command) > 0 {
		cfg.Cmd = def.Command
	}
	if def.Entrypoint != nil {
		cfg.Entrypoint = def.Entrypoint
	}
	host := &container.HostConfig{NetworkMode: container.NetworkMode(netName)}
	netCfg := &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{
		netName: {Aliases: s.aliases},
	}}
	created, err := b.cli.ContainerCreate(ctx, cfg, host, netCfg, nil, b.name(job, "svc", strconv.Itoa(i)))
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", what, err)
	}
	s.id = created.ID
	fmt.Fprintf(log, "Starting service %s as %s\n", def.Name, strings.Join(s.aliases, ", "))
	if err := b.cli.ContainerStart(ctx, s.id, container.StartOptions{}); err != nil {
		return s, fmt.Errorf("start %s: %w", what, err)
	}
	return s, nil
}

// waitServices waits, all at once, until every service's ports accept TCP
// connections, up to the configured wait. A service that fails has the last
// lines of its log written to log.
func (b *Backend) waitServices(ctx context.Context, netName string, svcs []*service, log io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.ServiceWait)
	defer cancel()
	errs := make([]error, len(svcs))
	var wg sync.WaitGroup
	for i, s := range svcs {
		if len(s.ports) == 0 {
			fmt.Fprintf(log, "Not waiting for %s: its image exposes no TCP port and %s is not set\n", s, HealthcheckPortVariable)
			continue
		}
		fmt.Fprintf(log, "Waiting up to %s for %s on port %s\n", b.cfg.ServiceWait, s, portList(s.ports))
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = b.waitService(ctx, netName, s)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			b.tailLogs(svcs[i], log)
		}
	}
	return errors.Join(errs...)
}

// waitService dials each port of s from this host until it accepts, the
// container exits or ctx ends.
func (b *Backend) waitService(ctx context.Context, netName string, s *service) error {
	name := s.String()
	for _, port := range s.ports {
		for {
			info, err := b.cli.ContainerInspect(ctx, s.id)
			if err != nil {
				if ctx.Err() != nil {
					return b.waitFailed(ctx, s, port)
				}
				return fmt.Errorf("%s: inspect: %w", name, err)
			}
			if info.State != nil && !info.State.Running {
				return fmt.Errorf("%s exited with code %d before port %d/tcp accepted connections", name, info.State.ExitCode, port)
			}
			var ip string
			if ep := info.NetworkSettings.Networks[netName]; ep != nil {
				ip = ep.IPAddress
			}
			if ip != "" {
				d := net.Dialer{Timeout: time.Second}
				conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
				if err == nil {
					conn.Close()
					break
				}
			}
			select {
			case <-ctx.Done():
				return b.waitFailed(ctx, s, port)
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return nil
}

func (b *Backend) waitFailed(ctx context.Context, s *service, port int) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		hint := "check its command, its variables and its log"
		if !s.healthPortSet() && len(s.ports) > 1 {
			hint = "set " + HealthcheckPortVariable + " to the one port to wait for, or " + hint
		}
		return fmt.Errorf("%s did not accept connections on port %d/tcp within %s (%s)", s, port, b.cfg.ServiceWait, hint)
	}
	return fmt.Errorf("%s: waiting for port %d/tcp: %w", s, port, context.Cause(ctx))
}

func portList(ports []int) string {
	var b strings.Builder
	for i, p := range ports {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d/tcp", p)
	}
	return b.String()
}

// tailLogs writes the last lines of s's log to log.
func (b *Backend) tailLogs(s *service, log io.Writer) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rc, err := b.cli.ContainerLogs(ctx, s.id, container.LogsOptions{
		ShowStdout: true, ShowStderr: true, Tail: strconv.Itoa(serviceLogLines),
	})
	if err != nil {
		fmt.Fprintf(log, "Could not read the log of service %s: %v\n", s.def.Name, err)
		return
	}
	defer rc.Close()
	var buf bytes.Buffer
	if _, err := stdcopy.StdCopy(&buf, &buf, rc); err != nil {
		fmt.Fprintf(log, "Could not read the log of service %s: %v\n", s.def.Name, err)
	}
	text := strings.TrimRight(buf.String(), "\n")
	if text == "" {
		fmt.Fprintf(log, "Service %s wrote nothing to its log.\n", s.def.Name)
		return
	}
	fmt.Fprintf(log, "Last lines of the log of service %s:\n%s\n", s.def.Name, text)
}
