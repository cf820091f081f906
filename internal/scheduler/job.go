package scheduler

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/gantry-ci/gantry/internal/executor"
	"github.com/gantry-ci/gantry/internal/logs"
	"github.com/gantry-ci/gantry/internal/pipeline"
	"github.com/gantry-ci/gantry/internal/plan"
	"github.com/gantry-ci/gantry/internal/script"
)

var (
	errJobTimeout         = errors.New("job timeout")
	errAfterScriptTimeout = errors.New("after_script timeout")
)

// execute runs every attempt of a job and returns its final result. It runs
// on its own goroutine and touches no run state but the emitter.
func (r *run) execute(ctx context.Context, j *plan.Job) JobResult {
	if r.runsDownstream(j) {
		return r.downstream(ctx, j)
	}
	var retry pipeline.Retry
	if j.Spec != nil {
		retry = j.Spec.Retry
	}
	for n := 1; ; n++ {
		started := time.Now()
		a := r.attempt(ctx, j, n, started)
		res := JobResult{
			Name: j.Name, Stage: j.Stage, Status: a.Status, ExitCode: a.ExitCode,
			Reason: a.Reason, Failure: a.Failure, Attempts: n, Started: started,
			Duration: time.Since(started), AfterScriptFailed: a.AfterScriptFailed,
			Coverage: a.Coverage, Tests: a.Tests,
		}
		retrying := a.Status == StatusFailed && n <= retry.Max && ctx.Err() == nil && shouldRetry(retry, a)
		if a.Status == StatusFailed && !retrying && allowedFailure(j, a) {
			res.Status = StatusWarning
		}
		r.ev.emit(Event{
			Kind: KindJobFinished, Job: j.Name, Stage: j.Stage, StageIndex: j.StageIndex, Attempt: n,
			Status: res.Status, StartedAt: started, Duration: res.Duration, ExitCode: res.ExitCode,
			Reason: res.Reason, Failure: res.Failure, Retrying: retrying,
			AfterScriptFailed: res.AfterScriptFailed, Coverage: res.Coverage, Tests: res.Tests,
		})
		if !retrying {
			return res
		}
	}
}

// attempt runs one attempt: hooks, prepare, script, after_script, cleanup.
func (r *run) attempt(ctx context.Context, j *plan.Job, n int, started time.Time) AttemptResult {
	cfg := &r.s.cfg
	r.ev.emit(Event{Kind: KindJobStarted, Time: started, Job: j.Name, Stage: j.Stage, StageIndex: j.StageIndex,
		Attempt: n, Status: StatusRunning, ExitCode: -1})

	secrets := slices.Clone(cfg.Secrets)
	notice := func(text string, warn bool) {
		r.ev.emit(Event{Kind: KindJobNotice, Job: j.Name, Stage: j.Stage, StageIndex: j.StageIndex, Attempt: n,
			Text: maskString(text, secrets), Warning: warn, ExitCode: -1})
	}
	jc := &JobContext{Pipeline: r.id, Job: j, Attempt: n, Workspace: cfg.WorkDir,
		Notice: func(text string) { notice(text, false) }}
	res := AttemptResult{Status: StatusFailed, ExitCode: -1}
	// Hooks and cleanup still run when the pipeline is canceled: they
	// save what the job made and remove what it set up.
	bg := context.WithoutCancel(ctx)

	if h := cfg.Hooks; h != nil {
		if err := h.BeforeJob(ctx, jc); err != nil {
			res.Failure, res.Reason = FailurePrerequisites, err.Error()
			if ctx.Err() != nil {
				res.Status, res.Failure, res.Reason = StatusCanceled, FailureNone, "canceled"
			}
			r.afterJob(bg, jc, &res, notice)
			return res
		}
	}
	vars := mergeVariables(j.Variables, jc.Variables)
	for _, v := range vars {
		if v.Masked && v.Value != "" {
			secrets = append(secrets, v.Value)
		}
	}
	creds, short := CredentialSecrets(vars)
	secrets = append(secrets, creds...)
	if text := shortCredentialNotice(short); text != "" {
		notice(text, true)
	}

	out := r.logWriter(j, n, secrets, jc.Tap)
	term := r.terminal(j)
	if term != nil {
		notice("@Interactive: the job's output went to the terminal, it is not in this log", false)
	}
	sess, err := cfg.Backend.Prepare(ctx, &executor.Job{
		ID:        executorID(r.id, j.Name, n),
		Name:      j.Name,
		Pipeline:  r.id,
		Workspace: jc.Workspace,
		Image:     image(j),
		Services:  services(j),
		Tags:      tags(j),
		Env:       executorEnv(vars),
		// Decorators are on the spec; jobs built without one ask nothing.
		InjectSSHAgent: j.Spec != nil && j.Spec.Decorators.InjectSSHAgent,
		Log:            &logs.Chunker{Emit: func(b []byte) { notice(strings.TrimSuffix(string(b), "\n"), false) }},
	})
	if err != nil {
		res.Failure, res.Reason = FailureSystem, err.Error()
		if ctx.Err() != nil {
			res.Status, res.Failure, res.Reason = StatusCanceled, FailureNone, "canceled"
		}
		r.afterJob(bg, jc, &res, notice)
		return res
	}
	defer func() {
		cctx, cancel := context.WithTimeout(bg, DefaultHookTimeout)
		defer cancel()
		if err := sess.Cleanup(cctx); err != nil {
			notice("cleanup: "+err.Error(), true)
		}
	}()

	paths := sess.Paths()
	vars = setVariable(vars, "CI_PROJECT_DIR", paths.ProjectDir)
	var commands []string
	if j.Spec != nil {
		commands = append(slices.Clone(j.Spec.BeforeScript), j.Spec.Script...)
	}
	timeout := cfg.DefaultTimeout
	if j.Spec != nil && j.Spec.Timeout > 0 {
		timeout = j.Spec.Timeout
	}
	sctx, cancel := context.WithTimeoutCause(ctx, timeout, errJobTimeout)
	code, err := sess.Run(sctx, r.step(executor.StepScript, commands, paths, vars, term), out)
	cancel()
	out.flush()
	switch {
	case err == nil && code == 0:
		res.Status, res.ExitCode = StatusSuccess, 0
	case err == nil:
		res.ExitCode, res.Failure, res.Reason = code, FailureScript, fmt.Sprintf("exit code %d", code)
	case errors.Is(context.Cause(sctx), errJobTimeout):
		res.Failure, res.Reason = FailureTimeout, "timed out after "+formatDuration(timeout)
	case ctx.Err() != nil:
		res.Status, res.Reason = StatusCanceled, "canceled"
	default:
		res.Failure, res.Reason = FailureSystem, err.Error()
	}

	if j.Spec != nil && len(j.Spec.AfterScript) > 0 {
		notice("Running after_script", false)
		avars := setVariable(vars, "CI_JOB_STATUS", jobStatusVar(res.Status))
		actx, cancel := context.WithTimeoutCause(bg, cfg.AfterScriptTimeout, errAfterScriptTimeout)
		code, err := sess.Run(actx, r.step(executor.StepAfterScript, j.Spec.AfterScript, paths, avars, term), out)
		cancel()
		out.flush()
		switch {
		case err == nil && code == 0:
		case err == nil:
			res.AfterScriptFailed = true
			notice(fmt.Sprintf("WARNING: after_script failed, but job will continue unaffected: exit code %d", code), true)
		case errors.Is(context.Cause(actx), errAfterScriptTimeout):
			res.AfterScriptFailed = true
			notice("WARNING: after_script timed out after "+formatDuration(cfg.AfterScriptTimeout)+", but job will continue unaffected", true)
		default:
			res.AfterScriptFailed = true
			notice("WARNING: after_script failed, but job will continue unaffected: "+err.Error(), true)
		}
	}
	r.afterJob(bg, jc, &res, notice)
	return res
}

// afterJob calls the after-job hook; its error fails a successful attempt.
func (r *run) afterJob(bg context.Context, jc *JobContext, res *AttemptResult, notice func(string, bool)) {
	h := r.s.cfg.Hooks
	if h == nil {
		return
	}
	ctx, cancel := context.WithTimeout(bg, DefaultHookTimeout)
	defer cancel()
	if err := h.AfterJob(ctx, jc, res); err != nil {
		if res.Status == StatusSuccess {
			res.Status, res.Failure, res.Reason = StatusFailed, FailureUnknown, err.Error()
			return
		}
		notice(err.Error(), true)
	}
}

// step builds one step's script; term is the terminal it is attached to,
// if any.
func (r *run) step(name string, commands []string, p executor.Paths, vars []plan.Variable, term *executor.Terminal) *executor.Step {
	return &executor.Step{Name: name, Terminal: term, Script: script.Build(commands, script.Options{
		Dir: p.ProjectDir, TempDir: p.TempDir, Variables: executorEnv(vars), Color: r.s.cfg.Color,
		Stdin: term != nil && term.Stdin != nil,
	})}
}

// jobLog is the writer chain of one attempt's output: mask, cap, then both
// the event stream (in line chunks) and the hook's tap.
type jobLog struct {
	io.Writer
	masker  *logs.Masker
	chunker *logs.Chunker
}

func (r *run) logWriter(j *plan.Job, n int, secrets []string, tap io.Writer) *jobLog {
	l := &jobLog{}
	l.chunker = &logs.Chunker{Emit: func(b []byte) {
		r.ev.emit(Event{Kind: KindJobLog, Job: j.Name, Stage: j.Stage, StageIndex: j.StageIndex, Attempt: n,
			Text: string(b), ExitCode: -1})
	}}
	var w io.Writer = l.chunker
	if tap != nil {
		w = io.MultiWriter(l.chunker, tap)
	}
	if r.s.cfg.LogLimit > 0 {
		w = &logs.LimitWriter{W: w, Limit: r.s.cfg.LogLimit}
	}
	l.masker = logs.NewMasker(w, secrets)
	l.Writer = l.masker
	return l
}

// flush pushes out what the masker and chunker hold, at the end of a step,
// so that notices that follow stay in order.
func (l *jobLog) flush() {
	_ = l.masker.Flush() // the chain ends in the chunker, whose writes never fail
	l.chunker.Flush()
}

func maskString(s string, secrets []string) string {
	if len(secrets) == 0 {
		return s
	}
	var b strings.Builder
	m := logs.NewMasker(&b, secrets)
	_, _ = m.Write([]byte(s)) // a strings.Builder never fails
	_ = m.Flush()
	return b.String()
}

// shouldRetry applies retry:when (default always) and retry:exit_codes; when
// both are given, both must match.
func shouldRetry(rt pipeline.Retry, a AttemptResult) bool {
	when := rt.When
	if len(when) == 0 {
		when = []string{"always"}
	}
	if !slices.Contains(when, "always") && !slices.Contains(when, string(a.Failure)) {
		return false
	}
	if len(rt.ExitCodes) > 0 {
		return a.ExitCode >= 0 && slices.Contains(rt.ExitCodes, a.ExitCode)
	}
	return true
}

// allowedFailure applies allow_failure: with exit_codes, only those exit
// codes are allowed; a manual job allows failure unless told otherwise.
func allowedFailure(j *plan.Job, a AttemptResult) bool {
	af := j.AllowFailure
	if len(af.ExitCodes) > 0 {
		return a.ExitCode >= 0 && slices.Contains(af.ExitCodes, a.ExitCode)
	}
	if !af.Set && effectiveWhen(j) == pipeline.WhenManual {
		return true
	}
	return af.Allowed
}

func jobStatusVar(s Status) string {
	switch s {
	case StatusSuccess:
		return "success"
	case StatusCanceled:
		return "canceled"
	}
	return "failed"
}

// mergeVariables keeps each name once, at its first position, with its
// last value: later entries have higher precedence.
func mergeVariables(lists ...[]plan.Variable) []plan.Variable {
	var out []plan.Variable
	at := map[string]int{}
	for _, l := range lists {
		for _, v := range l {
			if i, ok := at[v.Name]; ok {
				out[i] = v
				continue
			}
			at[v.Name] = len(out)
			out = append(out, v)
		}
	}
	return out
}

func setVariable(vars []plan.Variable, name, value string) []plan.Variable {
	return mergeVariables(vars, []plan.Variable{{Name: name, Value: value, Raw: true}})
}

func executorEnv(vars []plan.Variable) []executor.Variable {
	env := make([]executor.Variable, 0, len(vars))
	for _, v := range vars {
		env = append(env, executor.Variable{Name: v.Name, Value: v.Value, File: v.File})
	}
	return env
}

func image(j *plan.Job) *executor.Image {
	if j.Spec == nil || j.Spec.Image == nil {
		return nil
	}
	i := j.Spec.Image
	return &executor.Image{Name: i.Name, Entrypoint: i.Entrypoint, PullPolicy: i.PullPolicy, User: i.User}
}

func tags(j *plan.Job) []string {
	if j.Spec == nil {
		return nil
	}
	return j.Spec.Tags
}

func services(j *plan.Job) []executor.Service {
	if j.Spec == nil {
		return nil
	}
	var out []executor.Service
	for _, s := range j.Spec.Services {
		es := executor.Service{
			Image:   executor.Image{Name: s.Name, Entrypoint: s.Entrypoint, PullPolicy: s.PullPolicy, User: s.User},
			Aliases: s.Aliases, Command: s.Command,
		}
		for _, v := range s.Variables {
			es.Variables = append(es.Variables, executor.Variable{Name: v.Name, Value: v.Value})
		}
		out = append(out, es)
	}
	return out
}

// executorID makes a name-safe unique id for an attempt.
func executorID(pipelineID, job string, attempt int) string {
	var b strings.Builder
	for _, c := range strings.ToLower(pipelineID + "-" + job) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteRune(c)
		default:
			b.WriteByte('-')
		}
	}
	// Names that differ only in punctuation would collide without the hash.
	h := fnv.New32a()
	h.Write([]byte(job))
	return fmt.Sprintf("%s-%08x-%d", b.String(), h.Sum32(), attempt)
}

// formatDuration prints whole units the way people write timeouts: 10s,
// 5m, 1h30m, 1m30s.
func formatDuration(d time.Duration) string {
	if d < time.Second {
		return d.String()
	}
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
