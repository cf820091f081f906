package gantryfile

import (
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// nameRE is what an environment or service name may be: compose and the
// file names of the host's state take these safely.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// hostRE is a DNS name (or a single label, as /etc/hosts allows).
var hostRE = regexp.MustCompile(`^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$`)

var varNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// deployKeys are the top-level keys gantry deploy reads: a file with any
// of them must have app, image and environments.
var deployKeys = []string{"app", "image", "keep", "ssh", "notify", "hooks", "environments"}

func (d *decoder) document(root *yaml.Node) *File {
	f := &File{}
	root = deref(root)
	if root == nil || isNull(root) {
		d.errorf(root, emptyHint, "file is empty")
		return f
	}
	f.Pos = d.pos(root)
	var envNode *yaml.Node
	deploys := false
	for _, fl := range d.fields(root, "gantry.yml", append(deployKeys, "coverage")...) {
		deploys = deploys || fl.key != "coverage"
		switch fl.key {
		case "app":
			f.App = d.str(fl.value, "app")
			if f.App != "" && !nameRE.MatchString(f.App) {
				d.errorf(fl.value, "use letters, digits, '-', '_' and '.'", "app %q is not a valid name", f.App)
			}
		case "image":
			f.Image = d.str(fl.value, "image")
			if strings.Contains(f.Image, "@") || strings.HasSuffix(f.Image, ":latest") {
				d.errorf(fl.value, "give the repository only; gantry deploy --tag picks the tag and deploys its digest", "image %q has a tag or digest", f.Image)
			}
		case "keep":
			f.Keep = d.integer(fl.value, "keep", 1, 1000)
		case "ssh":
			f.SSH = d.ssh(fl.value)
		case "notify":
			f.Notify = d.notify(fl.value)
		case "hooks":
			for _, h := range d.fields(fl.value, "hooks", "pre_deploy", "post_deploy") {
				if h.key == "pre_deploy" {
					f.Hooks.PreDeploy = d.strs(h.value, "hooks: pre_deploy")
				} else {
					f.Hooks.PostDeploy = d.strs(h.value, "hooks: post_deploy")
				}
			}
		case "environments":
			envNode = fl.value
		case "coverage":
			f.Coverage = d.coverage(fl.kpos, fl.value)
		}
	}
	if !deploys {
		if f.Coverage == nil && len(d.errs) == 0 {
			d.errorf(root, emptyHint, "file declares nothing")
		}
		return f
	}
	if f.App == "" {
		d.errorf(root, "add app: <name>", "app is missing")
	}
	if f.Image == "" {
		d.errorf(root, "add image: registry.example.com/<app>", "image is missing")
	}
	envs := d.fields(envNode, "environments")
	if len(envs) == 0 {
		pos := root
		if envNode != nil {
			pos = envNode
		}
		d.errorf(pos, "add environments: {staging: {hosts: [deploy@staging.example.com]}}", "no environments")
	}
	for _, fl := range envs {
		if !nameRE.MatchString(fl.key) {
			d.errorf(fl.kpos, "use letters, digits, '-', '_' and '.'", "environment %q is not a valid name", fl.key)
			continue
		}
		f.Environments = append(f.Environments, d.environment(fl))
	}
	return f
}

func (d *decoder) ssh(n *yaml.Node) SSH {
	var s SSH
	for _, f := range d.fields(n, "ssh", "known_hosts", "identity") {
		if f.key == "known_hosts" {
			s.KnownHosts = d.str(f.value, "ssh: known_hosts")
		} else {
			s.Identity = d.str(f.value, "ssh: identity")
		}
	}
	return s
}

func (d *decoder) notify(n *yaml.Node) Notify {
	var nt Notify
	for _, f := range d.fields(n, "notify", "slack", "teams", "webhook", "email", "on") {
		switch f.key {
		case "slack", "teams", "webhook":
			urls := d.strs(f.value, "notify: "+f.key)
			for _, u := range urls {
				d.checkURL(f.value, "notify: "+f.key, u)
			}
			switch f.key {
			case "slack":
				nt.Slack = urls
			case "teams":
				nt.Teams = urls
			default:
				nt.Webhook = urls
			}
		case "on":
			nt.On = d.strs(f.value, "notify: on")
			for _, o := range nt.On {
				if o != "success" && o != "failure" && o != "rollback" {
					d.errorf(f.value, "use success, failure and rollback", "notify: on: unknown result %q", o)
				}
			}
		case "email":
			e := &Email{}
			for _, g := range d.fields(f.value, "notify: email", "server", "from", "to", "username", "password") {
				switch g.key {
				case "server":
					e.Server = d.str(g.value, "notify: email: server")
					if _, _, err := net.SplitHostPort(e.Server); err != nil && !strings.Contains(e.Server, "$") {
						d.errorf(g.value, "write it host:port, like smtp.example.com:587", "notify: email: server %q has no port", e.Server)
					}
				case "from":
					e.From = d.str(g.value, "notify: email: from")
				case "to":
					e.To = d.strs(g.value, "notify: email: to")
				case "username":
					e.Username = d.str(g.value, "notify: email: username")
				case "password":
					e.Password = d.str(g.value, "notify: email: password")
				}
			}
			if e.Server == "" || e.From == "" || len(e.To) == 0 {
				d.errorf(f.value, "email needs server, from and to", "notify: email is incomplete")
			}
			nt.Email = e
		}
	}
	return nt
}

// checkURL reports a URL that cannot be one, unless it holds variables.
func (d *decoder) checkURL(n *yaml.Node, what, s string) {
	if strings.Contains(s, "$") {
		return
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		d.errorf(n, "write a full http:// or https:// URL", "%s: %q is not an http(s) URL", what, s)
	}
}

var envKeys = []string{"hosts", "path", "project", "compose", "env_file", "protected", "services", "release", "health", "observe", "keep", "variables"}

func (d *decoder) environment(f field) *Environment {
	e := &Environment{Name: f.key, Pos: d.pos(f.kpos), Path: DefaultPath}
	var hostsSeen bool
	for _, g := range d.fields(f.value, "environment "+f.key, envKeys...) {
		what := f.key + ": " + g.key
		switch g.key {
		case "hosts":
			hostsSeen = true
			n := deref(g.value)
			items := []*yaml.Node{n}
			if n != nil && n.Kind == yaml.SequenceNode {
				items = n.Content
			}
			for _, it := range items {
				s := d.str(it, what)
				if s == "" {
					continue
				}
				if strings.Contains(s, "$") {
					// Parsed once its variables are known, at deploy time.
					e.Hosts = append(e.Hosts, Host{Raw: s, Addr: s, Pos: d.pos(deref(it))})
					continue
				}
				h, msg := ParseHost(s)
				if msg != "" {
					d.errorf(it, "write user@host or user@host:port", "%s: %s", what, msg)
					continue
				}
				h.Pos, h.Raw = d.pos(deref(it)), s
				e.Hosts = append(e.Hosts, h)
			}
		case "path":
			e.Path = d.str(g.value, what)
			if !strings.HasPrefix(e.Path, "/") && !strings.HasPrefix(e.Path, "$") {
				d.errorf(g.value, "give an absolute path on the host, like /srv/app", "%s: %q is not absolute", what, e.Path)
			}
		case "project":
			e.Project = d.str(g.value, what)
		case "compose":
			e.Compose = d.strs(g.value, what)
		case "env_file":
			// A path, or {from: $FILE_VARIABLE, as: .env.prod} when the
			// local file's name is not the one the compose files expect.
			if n := deref(g.value); n != nil && n.Kind == yaml.MappingNode {
				for _, f := range d.fields(n, what, "from", "as") {
					switch f.key {
					case "from":
						e.EnvFile = d.str(f.value, what+": from")
					case "as":
						e.EnvFileAs = d.str(f.value, what+": as")
						if strings.ContainsAny(e.EnvFileAs, "/$") {
							d.errorf(f.value, "give the file name the compose files use, like .env.prod", "%s: as must be a plain file name", what)
						}
					}
				}
				if e.EnvFile == "" {
					d.errorf(g.value, "add from: with the local file", "%s: from is required", what)
				}
			} else {
				e.EnvFile = d.str(g.value, what)
				if strings.Contains(e.EnvFile, "$") {
					d.errorf(g.value, "write env_file: {from: "+e.EnvFile+", as: .env.prod}", "%s %q holds a variable, so its name on the host is unknown", what, e.EnvFile)
				}
			}
		case "protected":
			e.Protected = d.boolean(g.value, what)
		case "services":
			e.Services = d.services(g.value, what)
		case "release":
			e.Release = d.release(g.value, what)
		case "health":
			e.Health = d.health(g.value, what)
		case "observe":
			e.Observe = d.observe(g.value, what)
		case "keep":
			e.Keep = d.integer(g.value, what, 1, 1000)
		case "variables":
			for _, v := range d.fields(g.value, what) {
				if !varNameRE.MatchString(v.key) {
					d.errorf(v.kpos, "use letters, digits and _", "%s: %q is not a variable name", what, v.key)
					continue
				}
				e.Variables = append(e.Variables, Variable{Name: v.key, Value: d.str(v.value, what+": "+v.key)})
			}
		}
	}
	if !hostsSeen || len(e.Hosts) == 0 {
		d.errorf(f.kpos, "add hosts: [deploy@host.example.com]", "environment %s has no hosts", f.key)
	}
	if len(e.Compose) == 0 {
		e.Compose = []string{"docker-compose.yml"}
	}
	if len(e.Services) == 0 {
		d.errorf(f.kpos, "list the compose services to roll, like services: [web, worker]", "environment %s has no services", f.key)
	}
	if len(e.Release.Commands) > 0 && e.Release.Service == "" && len(e.Services) > 0 {
		e.Release.Service = e.Services[0].Name
	}
	return e
}

// ParseHost reads user@host[:port]; msg says what is wrong, if anything.
func ParseHost(s string) (h Host, msg string) {
	user, hostport, ok := strings.Cut(s, "@")
	if !ok {
		user, hostport = "", s
	} else if user == "" {
		return h, "empty user before @"
	}
	host, port := hostport, strconv.Itoa(DefaultSSHPort)
	if hp, p, err := net.SplitHostPort(hostport); err == nil {
		host, port = hp, p
	} else if strings.Count(hostport, ":") > 1 && net.ParseIP(strings.Trim(hostport, "[]")) != nil {
		// A bare IPv6 address.
		host = strings.Trim(hostport, "[]")
	} else if strings.Contains(hostport, ":") {
		return h, "host " + strconv.Quote(hostport) + " has a bad port"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return h, "port " + strconv.Quote(port) + " is not a number from 1 to 65535"
	}
	if !hostRE.MatchString(host) && net.ParseIP(host) == nil {
		return h, "host " + strconv.Quote(host) + " is not a host name or IP address"
	}
	return Host{User: user, Addr: net.JoinHostPort(host, port)}, ""
}

func (d *decoder) services(n *yaml.Node, what string) []Service {
	n = deref(n)
	if n == nil || isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "list them: services: [web, worker, {name: beat, strategy: stop-first}]", "%s must be a list", what)
		return nil
	}
	var out []Service
	seen := map[string]bool{}
	for _, it := range n.Content {
		it = deref(it)
		var s Service
		if it.Kind == yaml.ScalarNode {
			s.Name = it.Value
		} else {
			for _, f := range d.fields(it, what+" item", "name", "strategy") {
				if f.key == "name" {
					s.Name = d.str(f.value, what+": name")
					continue
				}
				switch st := d.str(f.value, what+": strategy"); st {
				case "stop-first":
					s.Strategy = StopFirst
				case "recreate", "":
				default:
					d.errorf(f.value, "use recreate or stop-first", "%s: unknown strategy %q", what, st)
				}
			}
		}
		if !nameRE.MatchString(s.Name) {
			d.errorf(it, "give the compose service's name", "%s: %q is not a service name", what, s.Name)
			continue
		}
		if seen[s.Name] {
			d.errorf(it, "list each service once", "%s: %s appears twice", what, s.Name)
			continue
		}
		seen[s.Name] = true
		out = append(out, s)
	}
	return out
}

func (d *decoder) release(n *yaml.Node, what string) ReleaseCommands {
	var r ReleaseCommands
	for _, f := range d.fields(n, what, "service", "commands") {
		if f.key == "service" {
			r.Service = d.str(f.value, what+": service")
		} else {
			r.Commands = d.strs(f.value, what+": commands")
		}
	}
	return r
}

var healthKeys = []string{"url", "status", "body", "json", "host", "via", "interval", "timeout", "deadline"}

func (d *decoder) health(n *yaml.Node, what string) []HealthCheck {
	n = deref(n)
	if n == nil || isNull(n) {
		return nil
	}
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	var out []HealthCheck
	for _, it := range items {
		it = deref(it)
		h := HealthCheck{Pos: d.pos(it), Status: DefaultHealthStatus, Interval: DefaultHealthInterval, Timeout: DefaultHealthTimeout, Deadline: DefaultHealthDeadline}
		var fs []field
		if it.Kind == yaml.ScalarNode {
			h.URL = it.Value
		} else {
			fs = d.fields(it, what+" check", healthKeys...)
		}
		for _, f := range fs {
			w := what + ": " + f.key
			switch f.key {
			case "url":
				h.URL = d.str(f.value, w)
			case "status":
				h.Status = d.integer(f.value, w, 100, 599)
			case "body":
				h.Body = d.str(f.value, w)
			case "json":
				for _, g := range d.fields(f.value, w, "field", "equals") {
					if g.key == "field" {
						h.JSONField = d.str(g.value, w+": field")
					} else {
						h.JSONValue = d.str(g.value, w+": equals")
					}
				}
				if h.JSONField == "" {
					d.errorf(f.value, `write json: {field: status, equals: ok}`, "%s: field is missing", w)
				}
			case "host":
				h.Host = d.str(f.value, w)
			case "via":
				switch v := d.str(f.value, w); v {
				case "ssh":
					h.ViaSSH = true
				case "local", "":
				default:
					d.errorf(f.value, "use local (from where gantry runs) or ssh (from each host)", "%s: unknown %q", w, v)
				}
			case "interval":
				h.Interval = d.duration(f.value, w, DefaultHealthInterval)
			case "timeout":
				h.Timeout = d.duration(f.value, w, DefaultHealthTimeout)
			case "deadline":
				h.Deadline = d.duration(f.value, w, DefaultHealthDeadline)
			}
		}
		if h.URL == "" {
			d.errorf(it, "add url: http://127.0.0.1:8000/healthz", "%s: check has no url", what)
			continue
		}
		d.checkURL(it, what+": url", h.URL)
		out = append(out, h)
	}
	return out
}

func (d *decoder) observe(n *yaml.Node, what string) Observe {
	o := Observe{Interval: DefaultObserveEvery}
	for _, f := range d.fields(n, what, "samples", "interval", "max_failures") {
		switch f.key {
		case "samples":
			o.Samples = d.integer(f.value, what+": samples", 0, 10000)
		case "interval":
			o.Interval = d.duration(f.value, what+": interval", DefaultObserveEvery)
		case "max_failures":
			o.MaxFailures = d.integer(f.value, what+": max_failures", 0, 10000)
		}
	}
	return o
}
