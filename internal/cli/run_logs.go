package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/gantry-ci/gantry/internal/scheduler"
)

// newPipelineID numbers pipelines 1, 2, 3... per project: it claims the
// next free .gantry/logs/<n> directory (mkdir fails if another run took
// it first) and returns n with the directory.
func newPipelineID(gantryDir string) (string, string, error) {
	root := filepath.Join(gantryDir, "logs")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", "", fmt.Errorf("logs directory: %w", err)
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return "", "", fmt.Errorf("logs directory: %w", err)
	}
	last := 0
	for _, e := range entries {
		if n, err := strconv.Atoi(e.Name()); err == nil && n > last {
			last = n
		}
	}
	for n := last + 1; ; n++ {
		id := strconv.Itoa(n)
		dir := filepath.Join(root, id)
		err := os.Mkdir(dir, 0o755)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", "", fmt.Errorf("logs directory: %w", err)
		}
		return id, dir, nil
	}
}

// logFiles writes each job's full log, as the events carry it (already
// masked), to <dir>/<slug>.log, where dir is its pipeline's
// .gantry/logs/<id>: the output and gantry's own notices, every attempt
// after the first under a separator line. Child pipelines' jobs log in
// their own pipeline's directory.
type logFiles struct {
	mu        sync.Mutex
	pipelines map[string]pipelineLogs // by pipeline id; guarded by mu

	open  map[jobKey]*logFile
	paths map[jobKey]string
	err   error
	// free are the buffers of closed files, for the next job's: a
	// pipeline of many jobs allocates as many as run at once.
	free []*bufio.Writer

	queue chan scheduler.Event
	done  chan struct{}
}

// pipelineLogs is where a pipeline's logs go: dir, each job's file named
// by slug from the job's name in the events.
type pipelineLogs struct {
	dir  string
	slug func(job string) string
}

// jobKey names a job of the run: a child pipeline's jobs are apart from
// the parent's even with the same name.
type jobKey struct{ pipeline, job string }

type logFile struct {
	f   *os.File
	w   *bufio.Writer
	mid bool // the last output did not end its line
}

// endLine ends a partial line of output before gantry writes its own.
func (lf *logFile) endLine() {
	if lf.mid {
		lf.w.WriteByte('\n')
		lf.mid = false
	}
}

// logQueue is how many events wait for the log writer before the
// scheduler's event callback blocks.
const logQueue = 16

// newLogFiles starts the goroutine that writes the logs: creating a file
// can take a millisecond on a busy file system, which the scheduler's
// serialized event callback would make every job wait for.
func newLogFiles() *logFiles {
	l := &logFiles{pipelines: map[string]pipelineLogs{}, open: map[jobKey]*logFile{}, paths: map[jobKey]string{},
		queue: make(chan scheduler.Event, logQueue), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		for ev := range l.queue {
			l.handle(ev)
		}
	}()
	return l
}

// add sends the logs of pipeline id's jobs to dir, each file named by
// slug from the job's name in the events. It must be called before the
// pipeline's first event.
func (l *logFiles) add(id, dir string, slug func(job string) string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pipelines[id] = pipelineLogs{dir: dir, slug: slug}
}

// Path is the log file of pipeline's job, "" if it never ran. It is
// known once Close has returned.
func (l *logFiles) Path(pipeline, job string) string { return l.paths[jobKey{pipeline, job}] }

// Handle queues one event for the writer; it is called by the scheduler's
// serialized event callback.
func (l *logFiles) Handle(ev scheduler.Event) {
	switch ev.Kind {
	case scheduler.KindJobStarted, scheduler.KindJobLog, scheduler.KindJobNotice, scheduler.KindJobFinished:
		l.queue <- ev
	}
}

func (l *logFiles) handle(ev scheduler.Event) {
	key := jobKey{ev.Pipeline, ev.Job}
	switch ev.Kind {
	case scheduler.KindJobStarted:
		lf := l.file(key)
		if lf != nil && ev.Attempt > 1 {
			lf.endLine()
			fmt.Fprintf(lf.w, "\n--- attempt %d ---\n", ev.Attempt)
		}
	case scheduler.KindJobLog:
		if lf := l.file(key); lf != nil {
			// A long line comes in several chunks: keep it whole.
			lf.w.WriteString(ev.Text)
			lf.mid = !strings.HasSuffix(ev.Text, "\n")
		}
	case scheduler.KindJobNotice:
		if lf := l.file(key); lf != nil {
			lf.endLine()
			lf.w.WriteString(ev.Text)
			lf.w.WriteByte('\n')
		}
	case scheduler.KindJobFinished:
		lf := l.open[key]
		if lf == nil {
			return
		}
		lf.endLine()
		fmt.Fprintf(lf.w, "Job %s", statusWord(ev))
		if ev.Reason != "" && ev.Status != scheduler.StatusSuccess {
			fmt.Fprintf(lf.w, ": %s", ev.Reason)
		}
		lf.w.WriteByte('\n')
		if !ev.Retrying {
			l.close(key)
		}
	}
}

func statusWord(ev scheduler.Event) string {
	if ev.Retrying {
		return "failed, retrying"
	}
	if ev.Status == scheduler.StatusSuccess {
		return "succeeded"
	}
	return ev.Status.String()
}

func (l *logFiles) file(key jobKey) *logFile {
	if lf := l.open[key]; lf != nil {
		return lf
	}
	if l.err != nil {
		return nil
	}
	l.mu.Lock()
	pl, ok := l.pipelines[key.pipeline]
	l.mu.Unlock()
	if !ok {
		l.err = fmt.Errorf("job log: %s: no log directory for pipeline %s", key.job, key.pipeline)
		return nil
	}
	path := filepath.Join(pl.dir, pl.slug(key.job)+".log")
	flag := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if _, seen := l.paths[key]; seen {
		flag = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(path, flag, 0o600)
	if err != nil {
		l.err = fmt.Errorf("job log: %w", err)
		return nil
	}
	var w *bufio.Writer
	if n := len(l.free); n > 0 {
		w, l.free = l.free[n-1], l.free[:n-1]
		w.Reset(f)
	} else {
		w = bufio.NewWriterSize(f, 64<<10)
	}
	lf := &logFile{f: f, w: w}
	l.open[key], l.paths[key] = lf, path
	return lf
}

func (l *logFiles) close(key jobKey) {
	lf := l.open[key]
	delete(l.open, key)
	if err := lf.w.Flush(); err != nil && l.err == nil {
		l.err = fmt.Errorf("job log: %w", err)
	}
	if err := lf.f.Close(); err != nil && l.err == nil {
		l.err = fmt.Errorf("job log: %w", err)
	}
	lf.w.Reset(nil)
	l.free = append(l.free, lf.w)
}

// Close writes what is queued, closes what is still open and returns the
// first write error. Handle must not be called after it.
func (l *logFiles) Close() error {
	close(l.queue)
	<-l.done
	for key := range l.open {
		l.close(key)
	}
	return l.err
}
