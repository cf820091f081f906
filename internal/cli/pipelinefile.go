package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gantry-ci/gantry/internal/gitlabci"
	"github.com/gantry-ci/gantry/internal/gitrepo"
	"github.com/gantry-ci/gantry/internal/pipeline"
	"github.com/spf13/pflag"
)

// DefaultPipelineFile is the pipeline file gantry reads when -f is not given.
const DefaultPipelineFile = ".gitlab-ci.yml"

// fileFlags locate the project and its pipeline file; every command that
// reads a pipeline embeds them.
type fileFlags struct {
	dir  string
	file string
}

func (f *fileFlags) register(fs *pflag.FlagSet) {
	fs.StringVarP(&f.dir, "directory", "C", "", "run as if gantry was started in `DIR`")
	fs.StringVarP(&f.file, "file", "f", "", "pipeline `FILE`, relative to the project directory (default "+DefaultPipelineFile+")")
}

// locate returns the project directory and the pipeline file relative to
// it. Without -f, a directory with no .gitlab-ci.yml falls back to the root
// of its git repository, as gitlab-ci-local does.
func (f *fileFlags) locate() (dir, file string, err error) {
	// Abs of "" is the working directory.
	if dir, err = filepath.Abs(f.dir); err != nil {
		return "", "", err
	}
	if f.file != "" {
		file = f.file
		if filepath.IsAbs(file) {
			if rel, err := filepath.Rel(dir, file); err == nil && !strings.HasPrefix(rel, "..") {
				file = rel
			} else {
				dir, file = filepath.Dir(file), filepath.Base(file)
			}
		}
		return dir, file, nil
	}
	file = DefaultPipelineFile
	if _, err := os.Stat(filepath.Join(dir, file)); err == nil {
		return dir, file, nil
	}
	if top, gerr := gitrepo.TopLevel(context.Background(), dir); gerr == nil {
		if _, err := os.Stat(filepath.Join(top, file)); err == nil {
			return top, file, nil
		}
	}
	return "", "", withCode(ExitInvalid, fmt.Errorf("no %s in %s (use -f FILE or -C DIR)", file, dir))
}

// loaded is a pipeline file read through the frontend.
type loaded struct {
	dir, file string
	doc       *gitlabci.Node
	pipeline  *pipeline.Pipeline
}

// load resolves and decodes the pipeline file that locate found. vars
// are the CI variables include:rules may test, changed the files their
// changes: compare with (nil: unknown, every changes: holds).
func load(ctx context.Context, dir, file string, vars func(string) (string, bool), changed []string) (*loaded, error) {
	doc, err := gitlabci.Resolve(ctx, gitlabci.Options{Dir: dir, File: file, Vars: vars, Changed: changed})
	if err != nil {
		return nil, invalid(err)
	}
	p, err := gitlabci.Decode(doc)
	if err != nil {
		return nil, invalid(err)
	}
	return &loaded{dir: dir, file: file, doc: doc, pipeline: p}, nil
}

// invalid marks frontend errors as invalid input (exit 2).
func invalid(err error) error { return withCode(ExitInvalid, err) }
