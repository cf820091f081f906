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

// Config is gantry.yml known to declare a deploy: the app, where its image
// lives, how to reach the hosts, whom to notify, and the environments.
// It shares the environments with the File it comes from; Name is the
// path the file was read from, for messages.
type Config struct {
	gantryfile.File
}

// NewConfig takes the deploy sections of f. A file without them (one with
// only a coverage: section) is a *gantryfile.Error: there is nothing to
// deploy.
func NewConfig(f *gantryfile.File) (*Config, error) {
	if !f.HasDeploy() {
		return nil, &gantryfile.Error{Pos: f.Pos, Msg: "no app, image or environments: nothing to deploy",
			Hint: "add app, image and environments; see gantry deploy --help"}
	}
	return &Config{File: *f}, nil
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
