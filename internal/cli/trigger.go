package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/gantry-ci/gantry/internal/gitrepo"
	"github.com/gantry-ci/gantry/internal/plan"
	"github.com/spf13/pflag"
)

// triggerFlags describe the pipeline to plan: which ref, which source,
// which variables and changed files. The defaults are what a push of the
// current commit would create.
type triggerFlags struct {
	ref       string
	tag       string
	source    string
	variables []string
	changed   []string
	// pipelineID, when set, is CI_PIPELINE_ID and CI_PIPELINE_IID: gantry
	// run numbers its pipelines.
	pipelineID int
	// project, when set, returns project-level variables (ranked below
	// the variables above) once the repository is known.
	project func(repo gitrepo.Info) ([]plan.Variable, error)
}

func (f *triggerFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.ref, "ref", "", "branch (or tag) the pipeline runs for (default: the checked-out one)")
	fs.StringVar(&f.tag, "tag", "", "plan a tag pipeline for `TAG`")
	fs.StringVar(&f.source, "source", plan.SourcePush, "pipeline source: push, merge_request_event, web, schedule, api, trigger")
	fs.StringArrayVar(&f.variables, "variable", nil, "pipeline variable `K=V` (repeatable; highest precedence)")
	fs.StringArrayVar(&f.changed, "changed", nil, "`FILE` changed by the push, for rules:changes (repeatable; default: from git)")
}

// planned is a pipeline planned for one trigger.
type planned struct {
	*loaded
	repo    gitrepo.Info
	trigger plan.Trigger
	plan    *plan.Plan
}

// plan reads the git facts, loads the pipeline file that fileFlags.locate
// found (include:rules see the predefined and --variable values) and
// plans it.
func (f *triggerFlags) plan(ctx context.Context, dir, file string) (*planned, error) {
	t, repo, err := f.trigger(ctx, dir, file)
	if err != nil {
		return nil, err
	}
	l, err := load(ctx, dir, file, triggerVars(t), plan.ModifiedPaths(t))
	if err != nil {
		return nil, err
	}
	p, err := plan.New(l.pipeline, t)
	if err != nil {
		if errors.Is(err, plan.ErrNoPipeline) {
			return nil, withCode(ExitFailed, err)
		}
		return nil, invalid(err)
	}
	return &planned{loaded: l, repo: repo, trigger: t, plan: p}, nil
}

// triggerVars looks up the variables that include:rules and include
// paths may use: --variable values, then predefined ones.
func triggerVars(t plan.Trigger) func(string) (string, bool) {
	return func(name string) (string, bool) {
		for i := len(t.Variables) - 1; i >= 0; i-- {
			if t.Variables[i].Name == name {
				return t.Variables[i].Value, true
			}
		}
		for i := len(t.Predefined) - 1; i >= 0; i-- {
			if t.Predefined[i].Name == name {
				return t.Predefined[i].Value, true
			}
		}
		return "", false
	}
}

// trigger builds the plan.Trigger for the project in dir.
func (f *triggerFlags) trigger(ctx context.Context, dir, file string) (plan.Trigger, gitrepo.Info, error) {
	// The file list, the working tree's changes and whether --ref is a tag
	// do not depend on what Read finds: all run at once, on the working
	// copy located once, since a local run waits for them before its
	// first job. Outside a repository they fail and are not looked at.
	wc := gitrepo.Open(dir)
	var (
		wg          sync.WaitGroup
		files, work []string
		worktreeErr error
		tagOnly     bool
	)
	wg.Add(1)
	go func() { defer wg.Done(); files, work, worktreeErr = wc.Worktree(ctx) }()
	if f.tag == "" && f.ref != "" {
		wg.Add(1)
		go func() { defer wg.Done(); tagOnly = isTagOnly(ctx, wc, f.ref) }()
	}
	repo, err := wc.Read(ctx)
	wg.Wait()
	switch {
	case errors.Is(err, gitrepo.ErrNotRepo), errors.Is(err, gitrepo.ErrNoCommit):
		// Still plan: a file can be checked before its first commit.
		repo = gitrepo.Info{Dir: dir, Branch: "main", DefaultBranch: "main", SHA: gitrepo.ZeroSHA, ShortSHA: gitrepo.ZeroSHA[:8]}
	case err != nil:
		return plan.Trigger{}, repo, fmt.Errorf("read git repository: %w", err)
	}
	t := plan.Trigger{Source: f.source, Ref: f.ref}
	switch {
	case f.tag != "":
		t.Ref, t.Tag = f.tag, true
	case f.ref != "":
		t.Tag = tagOnly
	}
	if f.project != nil {
		vars, err := f.project(repo)
		if err != nil {
			return t, repo, withCode(ExitInvalid, err)
		}
		t.Variables = append(t.Variables, vars...)
	}
	for _, kv := range f.variables {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return t, repo, withCode(ExitInvalid, fmt.Errorf("--variable %q: want NAME=VALUE", kv))
		}
		t.Variables = append(t.Variables, plan.Variable{Name: name, Value: value, Raw: true})
	}
	ref := t.Ref
	if ref == "" {
		ref = repo.RefName()
	}
	if t.Source == plan.SourceMergeRequest {
		t.MergeRequest = &plan.MergeRequest{
			IID: 1, ID: 1, Title: repo.Title, Description: repo.Description,
			SourceBranch: ref, SourceBranchSHA: repo.SHA, TargetBranch: repo.DefaultBranch,
		}
	}
	if repo.SHA != gitrepo.ZeroSHA {
		if worktreeErr != nil {
			return t, repo, fmt.Errorf("list repository files: %w", worktreeErr)
		}
		t.Files = relativeTo(repo.Dir, dir, files)
		if f.changed != nil {
			t.Changed = f.changed
		} else if t.Changed, err = changedFiles(ctx, wc, repo, dir, ref, work); err != nil {
			return t, repo, err
		}
		t.ChangedSince = func(base string) ([]string, error) {
			files, err := gitrepo.Changed(ctx, dir, base, "HEAD", false)
			return relativeTo(repo.Dir, dir, files), err
		}
	}
	opts := []plan.Option{plan.WithProjectDir(dir), plan.WithConfigPath(file)}
	if f.pipelineID > 0 {
		opts = append(opts, plan.WithPipelineID(f.pipelineID, f.pipelineID))
	}
	t.Predefined = plan.Predefined(repo, t, opts...)
	return t, repo, nil
}

// changedFiles is what a push of this branch would change: on a feature
// branch, everything since it left the default branch; on the default
// branch, the last commit; plus uncommitted changes (work, relative to
// the top directory), since a local run tests the working tree.
func changedFiles(ctx context.Context, wc *gitrepo.Repo, repo gitrepo.Info, dir, ref string, work []string) ([]string, error) {
	from, mergeBase := repo.Parent, false
	if ref != repo.DefaultBranch {
		base := "refs/remotes/origin/" + repo.DefaultBranch
		have, err := wc.HasRefs(ctx, base)
		if err != nil {
			return nil, fmt.Errorf("list changed files: %w", err)
		}
		if have[base] {
			from, mergeBase = base, true
		}
	}
	var files []string
	if from != "" {
		var err error
		if files, err = gitrepo.Changed(ctx, dir, from, "HEAD", mergeBase); err != nil {
			return nil, fmt.Errorf("list changed files: %w", err)
		}
	}
	return relativeTo(repo.Dir, dir, append(files, work...)), nil
}

// relativeTo rewrites paths relative to the repository's top directory as
// paths relative to the project directory (they differ when the project
// is a subdirectory), dropping those outside it.
func relativeTo(top, dir string, files []string) []string {
	rel, err := filepath.Rel(top, dir)
	if err == nil && (rel == ".." || strings.HasPrefix(rel, "../")) {
		// git names the top directory with symlinks resolved.
		if real, rerr := filepath.EvalSymlinks(dir); rerr == nil {
			rel, err = filepath.Rel(top, real)
		}
	}
	if err != nil || rel == "." {
		return files
	}
	prefix := filepath.ToSlash(rel) + "/"
	out := files[:0:0]
	for _, f := range files {
		if p, ok := strings.CutPrefix(f, prefix); ok {
			out = append(out, p)
		}
	}
	return out
}

// isTagOnly reports whether ref names a tag and no branch. Outside a
// repository (HasRefs fails) nothing is a tag: the pipeline is planned for
// a branch, as when the ref is checked against the commit-less defaults.
func isTagOnly(ctx context.Context, wc *gitrepo.Repo, ref string) bool {
	tag, branch := "refs/tags/"+ref, "refs/heads/"+ref
	have, err := wc.HasRefs(ctx, tag, branch)
	return err == nil && have[tag] && !have[branch]
}
