package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gantry-ci/gantry/internal/gitrepo"
	"github.com/gantry-ci/gantry/internal/jobhooks"
	"github.com/gantry-ci/gantry/internal/logs"
	"github.com/gantry-ci/gantry/internal/plan"
	"github.com/gantry-ci/gantry/internal/scheduler"
	"github.com/gantry-ci/gantry/internal/termview"
	"github.com/gantry-ci/gantry/internal/workspace"
	"github.com/spf13/cobra"
)

func init() { commands = append(commands, runCmd) }

// runFlags are the options of gantry run beyond the file and trigger.
type runFlags struct {
	sel          plan.Selection
	manual       []string
	secrets      []string
	envFile      string
	concurrency  int
	json         bool
	report       string
	timeout      time.Duration
	quiet        bool
	logLimit     int64
	exec         executorFlags
	home         string
	gclVarsFile  string
	validateDeps bool
}

func runCmd(e *env) *cobra.Command {
	var (
		ff fileFlags
		tf triggerFlags
		rf runFlags
	)
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the pipeline locally, in the shell or in Docker containers",
		Long: `Run the pipeline a push of the current working tree would create, on this
machine: each job in a fresh copy of the repository under .gantry/builds,
with artifacts, caches and dotenv reports carried between jobs as GitLab
does, and each job's output shown live, prefixed by its name.

Variables for secrets come from .gantry/variables (or --env-file), one
[masked] [file] NAME=VALUE a line, and from --secret NAME=VALUE: masked
values are shown as [MASKED] everywhere, logs included. For users coming
from gitlab-ci-local, its variables files are read too:
.gitlab-ci-local-variables.yml in the project and
~/.gitlab-ci-local/variables.yml (see --home), environment scopes
included.

With a coverage: section in gantry.yml (in the project directory), a job
whose coverage falls below its minimums fails, with a table of the paths
under their minimum in its log. Without gantry.yml there is no gate; an
invalid gantry.yml stops the run (exit 2) before any job starts.

On a terminal, a status board under the output shows each stage's jobs
and the running ones with their elapsed time; elsewhere (or with
NO_COLOR) the output is plain lines.

Exit status: 0 when the pipeline passed (warnings allowed), 1 when it
failed or was canceled, 2 for an invalid pipeline or options.`,
		Example: `  gantry run
  gantry run --job test --needs
  gantry run --manual deploy --secret DEPLOY_TOKEN=...
  gantry run -j 2 --report run.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPipeline(cmd.Context(), e, &ff, &tf, &rf)
		},
	}
	fs := cmd.Flags()
	ff.register(fs)
	tf.register(fs)
	fs.StringArrayVar(&rf.sel.Jobs, "job", nil, "run only job `NAME` (repeatable; a manual job named here is played)")
	fs.BoolVar(&rf.sel.Needs, "needs", false, "with --job, also run the jobs it needs, transitively")
	fs.StringArrayVar(&rf.sel.Stages, "stage", nil, "run only the jobs of stage `NAME` (repeatable; with --job, those too)")
	fs.BoolVar(&rf.sel.OnlyNeeds, "only-needs", false, "with --job, run only the jobs it needs")
	fs.StringArrayVar(&rf.manual, "manual", nil, "play manual job `NAME` (repeatable)")
	fs.StringArrayVar(&rf.secrets, "secret", nil, "masked variable `K=V` (repeatable)")
	fs.StringVar(&rf.envFile, "env-file", "", "variables `FILE` (default .gantry/variables when it exists)")
	fs.IntVarP(&rf.concurrency, "jobs", "j", runtime.NumCPU(), "run at most `N` jobs at once")
	fs.BoolVar(&rf.json, "json", false, "print events as JSON lines instead of the terminal view")
	fs.StringVar(&rf.report, "report", "", "write a JSON summary of the run to `FILE`")
	fs.DurationVar(&rf.timeout, "timeout", scheduler.DefaultTimeout, "time limit of jobs without timeout:")
	fs.BoolVarP(&rf.quiet, "quiet", "q", false, "show only the status board (on a terminal), failures and the summary")
	fs.Int64Var(&rf.logLimit, "log-limit", logs.DefaultLimit, "cap each job's log at `BYTES` (0: no cap)")
	fs.BoolVar(&rf.validateDeps, "validate-dependency-chain", false, "refuse a pipeline whose dependencies: name jobs that are not in it (GitLab ignores them)")
	fs.StringVar(&rf.gclVarsFile, "variables-file", "", "gitlab-ci-local's project variables `FILE`, YAML or dotenv (default "+gclProjectFile+")")
	fs.StringVar(&rf.home, "home", "", "home `DIR` holding gitlab-ci-local's .gitlab-ci-local/variables.yml (default $HOME)")
	rf.exec.register(fs)
	return cmd
}

func runPipeline(ctx context.Context, e *env, ff *fileFlags, tf *triggerFlags, rf *runFlags) error {
	e = e.synced()
	if rf.concurrency < 1 {
		return withCode(ExitInvalid, fmt.Errorf("run: -j %d: want at least 1 job at once", rf.concurrency))
	}
	dir, file, err := ff.locate()
	if err != nil {
		return err
	}
	gate, err := coverageGate(dir)
	if err != nil {
		return err
	}
	vars, err := rf.runVariables(dir, tf, e.stderr)
	if err != nil {
		return err
	}

	wsDir, err := workspace.Open(dir)
	if err != nil {
		return err
	}
	// The pipeline's number is claimed first: it is CI_PIPELINE_ID.
	id, logDir, err := newPipelineID(wsDir.Path)
	if err != nil {
		return err
	}
	tf.pipelineID, _ = strconv.Atoi(id) // newPipelineID makes numbers
	pl, err := tf.plan(ctx, dir, file)
	if err != nil {
		os.Remove(logDir) // empty: nothing ran
	}
	if errors.Is(err, plan.ErrNoPipeline) {
		fmt.Fprintf(e.stderr, "gantry: %v: nothing to run\n", err)
		return nil
	}
	if err != nil {
		return err
	}
	warnUnknownGateJobs(e.stderr, gate, pl.pipeline)
	vars.mark(pl.plan)
	if rf.validateDeps {
		if err := validateDependencies(pl.plan); err != nil {
			return err
		}
	}
	for i, name := range rf.sel.Jobs {
		rf.sel.Jobs[i] = canonicalJobName(pl.plan, name)
	}
	for i, name := range rf.manual {
		rf.manual[i] = canonicalJobName(pl.plan, name)
	}
	p, err := plan.Select(pl.plan, rf.sel)
	if err != nil {
		return withCode(ExitInvalid, err)
	}
	if err := rf.exec.checkInteractive(p); err != nil {
		os.Remove(logDir) // empty: nothing ran
		return err
	}
	manual, err := playedJobs(p, rf)
	if err != nil {
		return err
	}

	src, err := source(ctx, wsDir, pl)
	if err != nil {
		return err
	}
	defer src.Close() // waits for background work; the outcome is known
	var all []string
	for _, j := range pl.plan.Jobs {
		all = append(all, j.Name)
	}
	pinned := slices.Collect(maps.Keys(vars.pinned))
	hooks, err := jobhooks.New(jobhooks.Config{
		Dir: wsDir, Source: src, PipelineID: id, Jobs: all, Pinned: pinned,
		Fallback: latestArtifacts(wsDir, id, all, p), Coverage: gate,
	})
	if err != nil {
		return err
	}

	backend, closeBackend, err := rf.exec.backend(ctx)
	if err != nil {
		return err
	}
	defer closeBackend()
	lf := newLogFiles()
	lf.add(id, logDir, hooks.Slug)
	tty := !rf.json && isTerminal(e.stdout) && os.Getenv("NO_COLOR") == ""
	color := tty
	var view *termview.View
	var events *json.Encoder
	out := bufio.NewWriterSize(e.stdout, 64<<10)
	if rf.json {
		events = json.NewEncoder(out)
	} else {
		// The live board moves the cursor: a real terminal only, and not
		// while an @Interactive job has it.
		board := tty && os.Getenv("TERM") != "dumb" && !interactive(p)
		view = termview.New(e.stdout, termview.Options{Color: color, Quiet: rf.quiet, Board: board,
			Width: func() int { return terminalWidth(e.stdout) }})
		defer view.Close()
	}
	cfg := scheduler.Config{
		Backend: backend,
		Hooks:   hooks,
		OnEvent: func(ev scheduler.Event) {
			lf.Handle(ev)
			if events != nil {
				_ = events.Encode(ev) // stdout going away must not stop the run
				if ev.Kind != scheduler.KindJobLog {
					_ = out.Flush()
				}
				return
			}
			// The view shows a child's jobs among the parent's: the
			// child pipeline itself is the trigger job's.
			if ev.ParentPipeline != "" && (ev.Kind == scheduler.KindPipelineCreated || ev.Kind == scheduler.KindPipelineFinished) {
				return
			}
			view.Handle(ev)
		},
		Concurrency: rf.concurrency,
		// Child pipelines share these: -j N holds for the whole run, and
		// a resource group is the project's, as in GitLab.
		Slots:          scheduler.NewSlots(rf.concurrency),
		ResourceGroups: scheduler.NewResourceGroups(),
		DefaultTimeout: rf.timeout,
		Manual:         manual,
		Secrets:        append(vars.secrets, environmentSecrets(os.Getenv)...),
		LogLimit:       rf.logLimit,
		Color:          color,
		WorkDir:        pl.dir,
		PipelineID:     id,
		Terminal:       e.terminal(),
	}
	ds := &downstream{pl: pl, ws: wsDir, src: src, logs: lf, base: cfg, pinned: pinned,
		model: pl.pipeline, names: all, prepare: vars.mark}
	cfg.Downstream = ds.run
	s, err := scheduler.New(cfg)
	if err != nil {
		_ = lf.Close() // nothing was written
		return err
	}
	res, err := s.Run(ctx, p)
	if err != nil {
		return withCode(ExitInvalid, err)
	}
	_ = out.Flush() // see above
	logErr := lf.Close()
	if view != nil {
		view.Summary(res, logsNote(relPath(dir, logDir), res))
	}
	if rf.report != "" {
		if err := writeReport(rf.report, res, lf); err != nil {
			return err
		}
	}
	if logErr != nil {
		fmt.Fprintf(e.stderr, "gantry: %v\n", logErr)
	}
	if res.Status != scheduler.StatusSuccess {
		return silent(ExitFailed)
	}
	return nil
}

// source is what the jobs' workspaces are made from: the files and commit
// the planner read, without asking git again; outside git or before the
// first commit, the workspace package looks for itself.
func source(ctx context.Context, d *workspace.Dir, pl *planned) (*workspace.Source, error) {
	if pl.repo.SHA == "" || pl.repo.SHA == gitrepo.ZeroSHA || pl.trigger.Files == nil {
		return d.Snapshot(ctx)
	}
	return d.NewSource(ctx, workspace.Repo{Top: pl.repo.Dir, Head: pl.repo.SHA}, pl.trigger.Files), nil
}

// latestArtifacts finds a job's artifacts in the most recent earlier
// pipeline that saved some, for jobs left out by --job: a run of one job
// uses what its dependencies made last time, as gitlab-ci-local does.
// A job of this run that saved none has none: no fallback.
func latestArtifacts(d *workspace.Dir, current string, all []string, p *plan.Plan) func(string) *workspace.Artifacts {
	slugs := workspace.UniqueSlugs(all)
	running := map[string]bool{}
	for _, j := range p.Jobs {
		running[slugs[j.Name]] = true
	}
	return func(slug string) *workspace.Artifacts {
		if running[slug] {
			return nil
		}
		entries, err := os.ReadDir(filepath.Join(d.Path, "artifacts"))
		if err != nil {
			return nil
		}
		best, bestTime := "", time.Time{}
		for _, e := range entries {
			if e.Name() == current {
				continue
			}
			fi, err := os.Stat(d.Artifacts(e.Name()).JobDir(slug))
			if err == nil && fi.ModTime().After(bestTime) {
				best, bestTime = e.Name(), fi.ModTime()
			}
		}
		if best == "" {
			return nil
		}
		return d.Artifacts(best)
	}
}

// gclParallel is gitlab-ci-local's name of a parallel: N instance.
var gclParallel = regexp.MustCompile(`^(.*): \[(\d+)/(\d+)\]$`)

// canonicalJobName accepts a job's name as gitlab-ci-local writes it too
// ("test: [1/2]" for GitLab's "test 1/2", matrix values without blanks).
func canonicalJobName(p *plan.Plan, name string) string {
	if j := p.Job(name); j != nil {
		return j.Name
	}
	if m := gclParallel.FindStringSubmatch(name); m != nil {
		if j := p.Job(m[1] + " " + m[2] + "/" + m[3]); j != nil {
			return j.Name
		}
	}
	return name
}

// terminalWidth is w's width in columns, 0 when unknown.
func terminalWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		return ttyWidth(f.Fd())
	}
	return 0
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isTTY(f.Fd())
}

func relPath(base, p string) string {
	if r, err := filepath.Rel(base, p); err == nil {
		return r
	}
	return p
}

// logsNote says where the logs are: the pipeline's directory, and its
// child pipelines' beside it.
func logsNote(dir string, res *scheduler.Result) string {
	var children []string
	var walk func(*scheduler.Result)
	walk = func(r *scheduler.Result) {
		for _, j := range r.Jobs {
			if j.Downstream != nil {
				children = append(children, filepath.Join(filepath.Dir(dir), j.Downstream.Pipeline))
				walk(j.Downstream)
			}
		}
	}
	walk(res)
	if len(children) == 0 {
		return "logs: " + dir
	}
	return "logs: " + dir + " (child pipelines: " + strings.Join(children, ", ") + ")"
}
