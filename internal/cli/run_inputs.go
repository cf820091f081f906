package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gantry-ci/gantry/internal/gitrepo"
	"github.com/gantry-ci/gantry/internal/plan"
	"github.com/gantry-ci/gantry/internal/workspace"
)

// This file holds what a run is given besides the pipeline: variables
// from files and --secret, gitlab-ci-local's files, the manual jobs to play.

// variables reads the variables file and --secret values.
func (rf *runFlags) variables(dir string) ([]envVar, error) {
	path, optional := rf.envFile, false
	if path == "" {
		path, optional = filepath.Join(dir, workspace.DirName, "variables"), true
	} else if !filepath.IsAbs(path) {
		if _, err := os.Stat(path); err != nil {
			path = filepath.Join(dir, path)
		}
	}
	vars, err := readEnvFile(path, optional)
	if err != nil {
		return nil, withCode(ExitInvalid, err)
	}
	for _, kv := range rf.secrets {
		v, err := parseSecret(kv)
		if err != nil {
			return nil, err
		}
		vars = append(vars, v)
	}
	return vars, nil
}

// validateDependencies refuses jobs whose dependencies: name jobs absent
// from the pipeline (excluded by rules, or never defined). GitLab runs
// them without those artifacts; gitlab-ci-local's
// --validate-dependency-chain, which users may rely on, refuses them.
func validateDependencies(p *plan.Plan) error {
	var errs []error
	for _, j := range p.Jobs {
		for _, d := range j.MissingDependencies {
			errs = append(errs, fmt.Errorf("job %q: dependencies: %s is not in this pipeline (its rules exclude it, or no job has that name)", j.Name, d))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return withCode(ExitInvalid, errors.Join(errs...))
}

// gclFile is gitlab-ci-local's project variables file: --variables-file,
// which must exist (relative to the project directory when not found as
// given), or the default, which may not.
func (rf *runFlags) gclFile(dir string) (string, error) {
	if rf.gclVarsFile == "" {
		return filepath.Join(dir, gclProjectFile), nil
	}
	file := rf.gclVarsFile
	if _, err := os.Stat(file); err != nil && !filepath.IsAbs(file) {
		file = filepath.Join(dir, file)
	}
	if _, err := os.Stat(file); err != nil {
		return "", withCode(ExitInvalid, fmt.Errorf("--variables-file: %w", err))
	}
	return file, nil
}

// homeDir is where gitlab-ci-local's user variables file is looked for:
// --home (relative to the project directory when not found as given), or
// $HOME.
func (rf *runFlags) homeDir(dir string) (string, error) {
	if rf.home == "" {
		return os.Getenv("HOME"), nil
	}
	home := rf.home
	if !filepath.IsAbs(home) {
		if _, err := os.Stat(home); err != nil {
			home = filepath.Join(dir, home)
		}
	}
	fi, err := os.Stat(home)
	if err != nil || !fi.IsDir() {
		return "", withCode(ExitInvalid, fmt.Errorf("--home %s: not a directory", rf.home))
	}
	return filepath.Abs(home)
}

// runVariables are the variables a run adds to the pipeline file's: the
// variables file, --secret and gitlab-ci-local's variables files.
type runVariables struct {
	// secrets are the masked values, for the masker.
	secrets []string
	// masked and files name the variables to mark Masked and File in
	// every job.
	masked, files map[string]bool
	// pinned are the names --variable sets: no other source changes them.
	pinned map[string]bool
	// gcl is gitlab-ci-local's variables, read once the repository is
	// known (triggerFlags.project).
	gcl *gclVars
}

// runVariables reads the variables file and --secret values, which rank
// below the --variable ones as GitLab ranks project variables, into tf,
// and has tf read gitlab-ci-local's files once the repository is known.
// Notes go to warn.
func (rf *runFlags) runVariables(dir string, tf *triggerFlags, warn io.Writer) (*runVariables, error) {
	extra, err := rf.variables(dir)
	if err != nil {
		return nil, err
	}
	rv := &runVariables{masked: map[string]bool{}, files: map[string]bool{}, pinned: map[string]bool{}}
	var fromFiles []string
	for _, v := range extra {
		fromFiles = append(fromFiles, v.name+"="+v.value)
		if v.masked && v.value != "" {
			rv.secrets = append(rv.secrets, v.value)
			rv.masked[v.name] = true
		}
		rv.files[v.name] = v.file
	}
	for _, kv := range tf.variables {
		if name, _, ok := strings.Cut(kv, "="); ok && name != "" {
			rv.pinned[name], rv.files[name] = true, false
		}
	}
	tf.variables = append(fromFiles, tf.variables...)
	tf.project = func(repo gitrepo.Info) ([]plan.Variable, error) {
		home, err := rf.homeDir(dir)
		if err != nil {
			return nil, err
		}
		varsFile, err := rf.gclFile(dir)
		if err != nil {
			return nil, err
		}
		if rv.gcl, err = loadGCLVariables(home, varsFile, repo.Remote, warn); err != nil {
			return nil, err
		}
		vars := rv.gcl.pipeline()
		for _, v := range vars {
			if v.File && !rv.pinned[v.Name] {
				rv.files[v.Name] = true
			}
		}
		return vars, nil
	}
	return rv, nil
}

// mark sets Masked and File on the variables that came from the variables
// file, --secret or gitlab-ci-local's files, in every job of p (the top
// pipeline or a child), and gives each job gitlab-ci-local's values for
// its environment.
func (rv *runVariables) mark(p *plan.Plan) {
	for _, j := range p.Jobs {
		for i := range j.Variables {
			v := &j.Variables[i]
			if rv.masked[v.Name] {
				v.Masked = true
			}
			if rv.files[v.Name] {
				v.File = true
			}
		}
	}
	rv.gcl.apply(p, rv.pinned)
}

// playedJobs lists the manual jobs to play: --manual names (a base name
// plays all its instances) and manual jobs selected with --job.
func playedJobs(p *plan.Plan, rf *runFlags) ([]string, error) {
	var out []string
	for _, m := range rf.manual {
		found := false
		for _, j := range p.Jobs {
			if j.Name == m || j.Base == m {
				out = append(out, j.Name)
				found = true
			}
		}
		if !found {
			return nil, withCode(ExitInvalid, fmt.Errorf("--manual %s: no such job in this pipeline", m))
		}
	}
	if !rf.sel.OnlyNeeds {
		for _, name := range rf.sel.Jobs {
			for _, j := range p.Jobs {
				if j.Name == name || j.Base == name {
					out = append(out, j.Name)
				}
			}
		}
	}
	return out, nil
}
