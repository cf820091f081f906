package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

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

// markVariables sets Masked and File on the variables that came from the
// variables file or --secret, in every job.
func markVariables(p *plan.Plan, masked, files map[string]bool) {
	for _, j := range p.Jobs {
		for i := range j.Variables {
			v := &j.Variables[i]
			if masked[v.Name] {
				v.Masked = true
			}
			if files[v.Name] {
				v.File = true
			}
		}
	}
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
