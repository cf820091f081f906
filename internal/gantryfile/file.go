package gantryfile

import (
	"time"

	"github.com/gantry-ci/gantry/internal/pipeline"
)

// Defaults of gantry.yml, used when a field is left out.
const (
	DefaultName           = "gantry.yml"
	DefaultKeep           = 5
	DefaultHealthInterval = time.Second
	DefaultHealthTimeout  = 5 * time.Second
	DefaultHealthDeadline = 60 * time.Second
	DefaultHealthStatus   = 200
	DefaultObserveEvery   = time.Second
	DefaultPath           = "/srv/$GANTRY_APP"
	DefaultSSHPort        = 22
)

// File is gantry.yml: the app, where its image lives and its environments
// (what gantry deploy reads), and the coverage gate (what gantry run
// reads). String fields of the deploy sections may hold $VARIABLES,
// expanded at deploy time with the release's variables.
type File struct {
	// Name is the path the file was read from, as given to Parse, for
	// messages.
	Name string
	// Pos is the top of the document, where errors about a missing
	// section point.
	Pos   pipeline.Pos
	App   string
	Image string // repository, without tag: registry.example.com/gardel-backend
	// Keep is how many releases of an environment keep their images on
	// the hosts; older ones are pruned.
	Keep         int
	SSH          SSH
	Notify       Notify
	Hooks        Hooks
	Environments []*Environment
	// Coverage is the coverage gate, nil when the file has no coverage:
	// section.
	Coverage *Coverage
}

// Environment is one deploy target: its hosts and how to roll it.
type Environment struct {
	Name string
	Pos  pipeline.Pos
	// Hosts are user@host[:port]; the first is the primary: it holds the
	// lock and the release log, and runs the release commands.
	Hosts []Host
	// Path is the directory on each host holding the compose files, the
	// env file and gantry's state (.gantry/).
	Path string
	// Project is the compose project name (default app-env).
	Project string
	Compose []string // compose files, relative to the repository root
	EnvFile string   // uploaded with mode 0600, never printed
	// EnvFileAs is the env file's name on the host; empty means EnvFile's
	// base name.
	EnvFileAs string
	Protected bool // needs --approve
	Services  []Service
	Release   ReleaseCommands
	Health    []HealthCheck
	Observe   Observe
	// Keep overrides File.Keep for this environment when > 0.
	Keep int
	// Variables are passed to compose (for ${NAME} in the compose files)
	// and to hooks, their values expanded like the rest of gantry.yml.
	Variables []Variable
}

// Variable is one name=value of an environment's variables.
type Variable struct {
	Name, Value string
}

// Host is one deploy host.
type Host struct {
	// Raw is the host as written; it may hold $VARIABLES, expanded and
	// parsed again at deploy time.
	Raw  string
	User string
	Addr string // host:port
	Pos  pipeline.Pos
}

// String formats h as user@host:port.
func (h Host) String() string {
	if h.User == "" {
		return h.Addr
	}
	return h.User + "@" + h.Addr
}

// Strategy says how a service is switched to the new image.
type Strategy int

// The strategies of a service.
const (
	// Recreate lets compose replace the container (`up -d`).
	Recreate Strategy = iota
	// StopFirst stops and removes the old container before the new one
	// starts: for singletons such as celery beat, which must never run
	// twice.
	StopFirst
)

// String is the strategy as gantry.yml writes it.
func (s Strategy) String() string {
	if s == StopFirst {
		return "stop-first"
	}
	return "recreate"
}

// Service is one compose service rolled to the new image, in order.
type Service struct {
	Name     string
	Strategy Strategy
}

// ReleaseCommands run once per deploy, on the primary host, in a one-off
// container of the new image, before any service switches.
type ReleaseCommands struct {
	Service  string
	Commands []string
}

// HealthCheck is an HTTP check that must pass before a release is
// healthy.
type HealthCheck struct {
	Pos    pipeline.Pos
	URL    string
	Status int    // expected status code
	Body   string // expected substring of the body, when set
	// JSONField and JSONValue, when JSONField is set, expect the body to
	// be a JSON object whose field (dotted path) equals JSONValue.
	JSONField string
	JSONValue string
	Host      string // Host header, when set
	// ViaSSH sends the request through the SSH connection to each host,
	// for endpoints bound to the host's loopback.
	ViaSSH   bool
	Interval time.Duration
	Timeout  time.Duration // per request
	Deadline time.Duration // to become healthy after the switch
}

// Observe is the watch after the health gate passed: Samples rounds of
// every check, Interval apart; more than MaxFailures failed rounds fail
// the release.
type Observe struct {
	Samples     int
	Interval    time.Duration
	MaxFailures int
}

// SSH says how to authenticate hosts and ourselves.
type SSH struct {
	// KnownHosts is the known_hosts file (default ~/.ssh/known_hosts).
	KnownHosts string
	// Identity is a private key file; the agent (SSH_AUTH_SOCK) is tried
	// first, then Identity, then ~/.ssh/id_ed25519, id_ecdsa, id_rsa.
	Identity string
}

// Notify lists where results are sent.
type Notify struct {
	Slack   []string
	Teams   []string
	Webhook []string
	Email   *Email
	// On lists the results notified: success, failure, rollback
	// (default all three).
	On []string
}

// Email is an SMTP destination.
type Email struct {
	Server string // host:port
	From   string
	To     []string
	// Username and Password, when set, authenticate with PLAIN (the
	// password usually comes from a $VARIABLE).
	Username string
	Password string
}

// Hooks are local commands (sh -c, in the repository) run with the
// release's variables (GANTRY_TAG, GANTRY_IMAGE, GANTRY_ENV...). pre_deploy
// hooks run before gantry connects to the hosts, so a failing one stops the
// deploy before anything changes (rollbacks skip them); post_deploy hooks
// run once the health gate passed, and a failing one fails the release,
// which is then rolled back.
type Hooks struct {
	PreDeploy  []string
	PostDeploy []string
}

// HasDeploy reports whether the file declares what gantry deploy needs.
// Parse makes sure a file that declares any of it declares all of it (app,
// image and environments), so a file with only a coverage: section has
// none.
func (f *File) HasDeploy() bool {
	return f.App != "" && len(f.Environments) > 0
}

// Env returns the environment named name, or nil.
func (f *File) Env(name string) *Environment {
	for _, e := range f.Environments {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// EnvNames lists the environments in file order.
func (f *File) EnvNames() []string {
	names := make([]string, len(f.Environments))
	for i, e := range f.Environments {
		names[i] = e.Name
	}
	return names
}
