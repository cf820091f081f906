// Package termview renders a pipeline run's scheduler events for a person
// at a terminal: every line of job output prefixed by its job's name,
// aligned and coloured per job (like gitlab-ci-local's "job > line"),
// gantry's own remarks and job start and finish lines, and a final summary
// table. It only formats; the events come from internal/scheduler.
package termview

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/gantry-ci/gantry/internal/scheduler"
)

// Options say how a View renders.
type Options struct {
	// Color turns on ANSI colours; the CLI sets it only for a terminal
	// and never with NO_COLOR.
	Color bool
	// Quiet prints only failures (with the end of their log) and the
	// summary.
	Quiet bool
	// TailLines is how many last lines of a failed job's log Quiet shows;
	// default DefaultTailLines.
	TailLines int
	// Board shows the live status board under the output (see board.go):
	// for a terminal only, as it moves the cursor.
	Board bool
	// Width returns the terminal's width for the board; nil or 0 means 80.
	Width func() int
	// Now is the clock of the board's elapsed times; default time.Now.
	Now func() time.Time
}

// DefaultTailLines is Options.TailLines's default.
const DefaultTailLines = 30

// View renders events to a writer. Handle may be called from any
// goroutine; calls are serialized.
type View struct {
	mu    sync.Mutex
	w     *bufio.Writer
	opt   Options
	pad   int
	jobs  map[string]*jobInfo
	order []string

	// The board: lines drawn now, the pipeline's start, and the redraw
	// goroutine's channels (stop is nil when there is no board).
	boardLines int
	start      time.Time
	stop       chan struct{}
	stopped    chan struct{}
}

type jobInfo struct {
	color   string
	stage   string
	status  scheduler.Status
	started time.Time
	// tail keeps the last lines of output for Quiet, a ring from next.
	tail []string
	next int
}

// ANSI colours: job names cycle through the palette.
const (
	reset  = "\x1b[0m"
	bold   = "\x1b[1m"
	dim    = "\x1b[2m"
	red    = "\x1b[31m"
	green  = "\x1b[32m"
	yellow = "\x1b[33m"
)

var palette = []string{"\x1b[36m", "\x1b[35m", "\x1b[34m", "\x1b[33m", "\x1b[32m", "\x1b[96m", "\x1b[95m", "\x1b[94m"}

// New returns a View writing to w.
func New(w io.Writer, opt Options) *View {
	if opt.TailLines <= 0 {
		opt.TailLines = DefaultTailLines
	}
	v := &View{w: bufio.NewWriterSize(w, 64<<10), opt: opt, jobs: map[string]*jobInfo{}}
	if opt.Board {
		v.startBoard()
	}
	return v
}

// Handle renders one event.
func (v *View) Handle(ev scheduler.Event) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.clearBoard()
	v.track(ev)
	v.render(ev)
	v.drawBoard()
	v.flush()
}

// render writes what an event shows.
func (v *View) render(ev scheduler.Event) {
	switch ev.Kind {
	case scheduler.KindJobCreated:
		v.jobs[ev.Job] = &jobInfo{color: palette[len(v.order)%len(palette)], stage: ev.Stage, status: scheduler.StatusCreated}
		v.order = append(v.order, ev.Job)
		v.pad = max(v.pad, len(ev.Job))
		return
	case scheduler.KindJobLog:
		v.log(ev)
	case scheduler.KindJobNotice:
		if v.opt.Quiet && !ev.Warning {
			return
		}
		text := ev.Text
		if ev.Warning {
			text = v.paint(yellow, text)
		}
		for _, line := range strings.Split(text, "\n") {
			v.line(ev.Job, "#", line)
		}
	case scheduler.KindJobStarted:
		if v.opt.Quiet {
			return
		}
		msg := "started (stage " + ev.Stage + ")"
		if ev.Attempt > 1 {
			msg = fmt.Sprintf("started (stage %s, attempt %d)", ev.Stage, ev.Attempt)
		}
		v.line(ev.Job, "#", v.paint(bold, msg))
	case scheduler.KindJobFinished:
		v.finished(ev)
	case scheduler.KindJobStatus:
		if !ev.Status.Final() || v.opt.Quiet {
			return
		}
		msg := statusText(ev.Status, "")
		if ev.Reason != "" {
			msg += ": " + ev.Reason
		}
		if ev.Status == scheduler.StatusManual {
			msg += " (play it with --manual '" + ev.Job + "')"
		}
		v.line(ev.Job, "#", v.paint(dim, msg))
	case scheduler.KindPipelineFinished:
	}
}

// track keeps each job's state for the board.
func (v *View) track(ev scheduler.Event) {
	if ev.Kind == scheduler.KindPipelineCreated {
		v.start = ev.Time
		return
	}
	info := v.jobs[ev.Job]
	if info == nil {
		return
	}
	switch ev.Kind {
	case scheduler.KindJobStarted:
		info.status, info.started = scheduler.StatusRunning, ev.Time
	case scheduler.KindJobStatus:
		info.status = ev.Status
	case scheduler.KindJobFinished:
		if !ev.Retrying {
			info.status = ev.Status
		}
	}
}

func (v *View) log(ev scheduler.Event) {
	text := strings.TrimSuffix(ev.Text, "\n")
	info := v.jobs[ev.Job]
	for {
		line, rest, more := strings.Cut(text, "\n")
		if v.opt.Quiet {
			if info != nil {
				info.keep(line, v.opt.TailLines)
			}
		} else {
			v.line(ev.Job, ">", line)
		}
		if !more {
			break
		}
		text = rest
	}
}

func (v *View) finished(ev scheduler.Event) {
	info := v.jobs[ev.Job]
	failed := ev.Status == scheduler.StatusFailed || ev.Status == scheduler.StatusWarning || ev.Retrying
	if v.opt.Quiet {
		if !failed {
			if info != nil {
				info.tail, info.next = info.tail[:0], 0
			}
			return
		}
		if info != nil {
			for _, l := range info.lines() {
				v.line(ev.Job, ">", l)
			}
			info.tail, info.next = info.tail[:0], 0
		}
	}
	msg := statusText(ev.Status, ev.Failure) + " in " + formatDuration(ev.Duration)
	if ev.Reason != "" && ev.Status != scheduler.StatusSuccess {
		msg += ": " + ev.Reason
	}
	if ev.Status == scheduler.StatusWarning {
		msg += " (allowed to fail)"
	}
	if ev.Retrying {
		msg = "failed in " + formatDuration(ev.Duration) + ": " + ev.Reason + "; retrying"
	}
	if ev.Coverage != nil {
		msg += fmt.Sprintf(", coverage %.2f%%", *ev.Coverage)
	}
	if t := ev.Tests; t != nil {
		msg += ", tests " + testsText(t)
	}
	color := green
	switch {
	case ev.Retrying || ev.Status == scheduler.StatusWarning:
		color = yellow
	case ev.Status != scheduler.StatusSuccess:
		color = red
	}
	v.line(ev.Job, "#", v.paint(color, msg))
	if t := ev.Tests; t != nil && len(t.FailedNames) > 0 {
		v.line(ev.Job, "#", v.paint(red, "failed tests: "+strings.Join(t.FailedNames, ", ")))
	}
}

// line writes one prefixed line: the job's name padded to the longest,
// then the marker.
func (v *View) line(job, mark, text string) {
	name := job + strings.Repeat(" ", max(0, v.pad-len(job)))
	if info := v.jobs[job]; info != nil {
		name = v.paint(info.color, name)
	}
	v.w.WriteString(name)
	v.w.WriteByte(' ')
	v.w.WriteString(mark)
	if text != "" {
		v.w.WriteByte(' ')
		v.w.WriteString(text)
	}
	v.w.WriteByte('\n')
}

func (v *View) paint(color, s string) string {
	if !v.opt.Color || s == "" {
		return s
	}
	return color + s + reset
}

// flush writes out what is buffered; a failing terminal is not worth
// failing a pipeline for.
func (v *View) flush() { _ = v.w.Flush() }

// Println writes a line of gantry's own (a notice before the run, the
// path of the logs) between events.
func (v *View) Println(text string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.clearBoard()
	v.w.WriteString(text)
	v.w.WriteByte('\n')
	v.drawBoard()
	v.flush()
}

// statusText names a final status for people: GitLab's words, with
// "passed" for success and "timed out" for a job that ran out of time.
func statusText(s scheduler.Status, f scheduler.Failure) string {
	switch {
	case s == scheduler.StatusSuccess:
		return "passed"
	case s == scheduler.StatusFailed && f == scheduler.FailureTimeout:
		return "timed out"
	}
	return s.String()
}

// testsText summarises test counts: "12 passed, 1 failed, 2 skipped".
func testsText(t *scheduler.TestCount) string {
	parts := []string{fmt.Sprintf("%d passed", t.Passed)}
	if t.Failed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed", t.Failed))
	}
	if t.Errors > 0 {
		parts = append(parts, fmt.Sprintf("%d errors", t.Errors))
	}
	if t.Skipped > 0 {
		parts = append(parts, fmt.Sprintf("%d skipped", t.Skipped))
	}
	return strings.Join(parts, ", ")
}

// formatDuration prints a duration the way a summary reads best: 120ms,
// 4.2s, 3m05s.
func formatDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// keep adds a line to the ring of the last n lines.
func (j *jobInfo) keep(line string, n int) {
	if len(j.tail) < n {
		j.tail = append(j.tail, line)
		return
	}
	j.tail[j.next] = line
	j.next = (j.next + 1) % n
}

// lines returns the kept lines, oldest first.
func (j *jobInfo) lines() []string {
	return append(append([]string{}, j.tail[j.next:]...), j.tail[:j.next]...)
}
