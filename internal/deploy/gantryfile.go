package deploy

import (
	"time"

	"github.com/gantry-ci/gantry/internal/gantryfile"
)

// Defaults of a deploy that gantry.yml does not set.
const (
	DefaultNotifyRetries = 3
	DefaultNotifyTimeout = 10 * time.Second
)

// Config is the part of gantry.yml a deploy reads: the app, where its
// image lives, how to reach the hosts, whom to notify, and the
// environments. It shares the environments with the File it comes from.
type Config struct {
	// File is the path gantry.yml was read from, for messages.
	File  string
	App   string
	Image string // repository, without tag: registry.example.com/gardel-backend
	// Keep is how many releases of an environment keep their images on
	// the hosts; older ones are pruned.
	Keep         int
	SSH          gantryfile.SSH
	Notify       gantryfile.Notify
	Hooks        gantryfile.Hooks
	Environments []*gantryfile.Environment
}

// NewConfig takes the deploy sections of f. A file without them (one with
// only a coverage: section) is a *gantryfile.Error: there is nothing to
// deploy.
func NewConfig(f *gantryfile.File) (*Config, error) {
	if !f.HasDeploy() {
		return nil, &gantryfile.Error{Pos: f.Pos, Msg: "no app, image or environments: nothing to deploy",
			Hint: "add app, image and environments; see gantry deploy --help"}
	}
	return &Config{File: f.Name, App: f.App, Image: f.Image, Keep: f.Keep, SSH: f.SSH,
		Notify: f.Notify, Hooks: f.Hooks, Environments: f.Environments}, nil
}

// Load reads gantry.yml at path and returns its deploy sections.
func Load(path string) (*Config, error) {
	f, err := gantryfile.Load(path)
	if err != nil {
		return nil, err
	}
	return NewConfig(f)
}

// Parse decodes gantry.yml source (name names it in errors) and returns
// its deploy sections.
func Parse(name string, src []byte) (*Config, error) {
	f, err := gantryfile.Parse(name, src)
	if err != nil {
		return nil, err
	}
	return NewConfig(f)
}

// Env returns the environment named name, or nil.
func (c *Config) Env(name string) *gantryfile.Environment {
	for _, e := range c.Environments {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// EnvNames lists the environments in file order.
func (c *Config) EnvNames() []string {
	names := make([]string, len(c.Environments))
	for i, e := range c.Environments {
		names[i] = e.Name
	}
	return names
}

// keep returns how many releases of env keep their images.
func (c *Config) keep(env *gantryfile.Environment) int {
	if env.Keep > 0 {
		return env.Keep
	}
	if c.Keep > 0 {
		return c.Keep
	}
	return gantryfile.DefaultKeep
}
