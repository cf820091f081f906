package cli

import (
	"bufio"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gantry-ci/gantry/internal/scheduler"
	"github.com/gantry-ci/gantry/internal/workspace"
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

// logSlugs names the log files: the pipeline's own jobs (names) as
// parent names them (their workspace's name), the jobs of child pipelines
// ("[trigger] -> job") by their slug, with a short hash of the name when
// another job has that slug already. The func it returns is for one
// goroutine.
func logSlugs(parent func(string) string, names []string) func(string) string {
	own := map[string]bool{}
	taken := map[string]string{} // slug -> the name that has it
	for _, n := range names {
		own[n] = true
		taken[parent(n)] = n
	}
	return func(name string) string {
		if own[name] {
			return parent(name)
		}
		s := workspace.Slug(name)
		if other, ok := taken[s]; ok && other != name {
			sum := sha1.Sum([]byte(name))
			s += "-" + hex.EncodeToString(sum[:4])
		}
		taken[s] = name
		return s
	}
}

// logFiles writes each job's full log, as the events carry it (already
// masked), to <dir>/<slug>.log: the output and gantry's own notices, every
// attempt after the first under a separator line.
type logFiles struct {
	dir   string
	slug  func(job string) string
	open  map[string]*logFile
	paths map[string]string
	err   error
	// free are the buffers of closed files, for the next job's: a
	// pipeline of many jobs allocates as many as run at once.
	free []*bufio.Writer

	queue chan scheduler.Event
	done  chan struct{}
}

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
func newLogFiles(dir string, slug func(string) string) *logFiles {
	l := &logFiles{dir: dir, slug: slug, open: map[string]*logFile{}, paths: map[string]string{},
		queue: make(chan scheduler.Event, logQueue), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		for ev := range l.queue {
			l.handle(ev)
		}
	}()
	return l
}

// Path is the log file of job, "" if it never ran. It is known once Close
// has returned.
func (l *logFiles) Path(job string) string { return l.paths[job] }

// Handle queues one event for the writer; it is called by the scheduler's
// serialized event callback.
func (l *logFiles) Handle(ev scheduler.Event) {
	switch ev.Kind {
	case scheduler.KindJobStarted, scheduler.KindJobLog, scheduler.KindJobNotice, scheduler.KindJobFinished:
		l.queue <- ev
	}
}

func (l *logFiles) handle(ev scheduler.Event) {
	switch ev.Kind {
	case scheduler.KindJobStarted:
		lf := l.file(ev.Job)
		if lf != nil && ev.Attempt > 1 {
			lf.endLine()
			fmt.Fprintf(lf.w, "\n--- attempt %d ---\n", ev.Attempt)
		}
	case scheduler.KindJobLog:
		if lf := l.file(ev.Job); lf != nil {
			// A long line comes in several chunks: keep it whole.
			lf.w.WriteString(ev.Text)
			lf.mid = !strings.HasSuffix(ev.Text, "\n")
		}
	case scheduler.KindJobNotice:
		if lf := l.file(ev.Job); lf != nil {
			lf.endLine()
			lf.w.WriteString(ev.Text)
			lf.w.WriteByte('\n')
		}
	case scheduler.KindJobFinished:
		lf := l.open[ev.Job]
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
			l.close(ev.Job)
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

func (l *logFiles) file(job string) *logFile {
	if lf := l.open[job]; lf != nil {
		return lf
	}
	if l.err != nil {
		return nil
	}
	path := filepath.Join(l.dir, l.slug(job)+".log")
	flag := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if _, seen := l.paths[job]; seen {
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
	l.open[job], l.paths[job] = lf, path
	return lf
}

func (l *logFiles) close(job string) {
	lf := l.open[job]
	delete(l.open, job)
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
	for job := range l.open {
		l.close(job)
	}
	return l.err
}
