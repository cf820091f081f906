package termview

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gantry-ci/gantry/internal/scheduler"
)

// The board is the live status under the output on a terminal: one line
// with each stage's jobs by state, then one line per running job with its
// elapsed time. It is erased before anything else is written and drawn
// again after, and redrawn every BoardInterval so that times move.
const (
	// BoardInterval is how often the board is redrawn between events.
	BoardInterval = 200 * time.Millisecond
	// maxBoardJobs bounds the running-job lines: a board taller than the
	// terminal could not be erased.
	maxBoardJobs = 8
)

// startBoard starts the goroutine that redraws the board until stopBoard.
func (v *View) startBoard() {
	stop, stopped := make(chan struct{}), make(chan struct{})
	v.stop, v.stopped = stop, stopped
	go func() {
		defer close(stopped)
		t := time.NewTicker(BoardInterval)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				v.mu.Lock()
				if v.boardLines > 0 || v.running() > 0 {
					v.clearBoard()
					v.drawBoard()
					v.flush()
				}
				v.mu.Unlock()
			}
		}
	}()
}

// Close stops the board's redraws and erases it. The summary calls it;
// callers that stop before the summary call it themselves. A second call
// does nothing.
func (v *View) Close() {
	v.mu.Lock()
	stop := v.stop
	v.stop = nil
	v.mu.Unlock()
	if stop == nil {
		return
	}
	close(stop)
	<-v.stopped
	v.mu.Lock()
	v.clearBoard()
	v.flush()
	v.mu.Unlock()
}

// clearBoard erases the board: the cursor goes back up to its first line
// and the screen is cleared from there.
func (v *View) clearBoard() {
	if v.boardLines == 0 {
		return
	}
	v.w.WriteString("\x1b[" + strconv.Itoa(v.boardLines) + "A\r\x1b[J")
	v.boardLines = 0
}

// drawBoard writes the board below the output; the cursor ends on the
// line after it.
func (v *View) drawBoard() {
	if v.stop == nil || len(v.order) == 0 {
		return
	}
	// The width once per draw: it is a system call, and the board is drawn
	// again after every event.
	width := v.width()
	now := v.now()
	v.boardLine(width, v.stagesLine(now))
	n := 0
	for _, name := range v.order {
		info := v.jobs[name]
		if info.status != scheduler.StatusRunning {
			continue
		}
		n++
		if n > maxBoardJobs {
			continue
		}
		// The time first: a narrow terminal cuts the end of the line.
		t := elapsed(now.Sub(info.started))
		v.boardLine(width, []segment{
			{yellow, " ● "},
			{"", strings.Repeat(" ", max(0, 6-len(t))) + t + "  "},
			{info.color, name},
			{dim, "  " + info.stage},
		})
	}
	if n > maxBoardJobs {
		v.boardLine(width, []segment{{dim, fmt.Sprintf("   and %d more running", n-maxBoardJobs)}})
	}
}

// segment is a piece of a board line in one colour.
type segment struct{ color, text string }

// boardLine writes segments, cut to the terminal's width so that no line
// wraps (a wrapped line would throw the erase off by one).
func (v *View) boardLine(width int, segs []segment) {
	room := width - 1
	for _, s := range segs {
		if room <= 0 {
			break
		}
		text := s.text
		if r := []rune(text); len(r) > room {
			text = string(r[:room])
		}
		room -= len([]rune(text))
		if s.color == "" {
			v.w.WriteString(text)
		} else {
			v.w.WriteString(v.paint(s.color, text))
		}
	}
	v.w.WriteByte('\n')
	v.boardLines++
}

// stagesLine counts each stage's jobs by state: ● running, ✓ passed,
// ! allowed to fail, ✗ failed, ○ waiting; then the pipeline's time.
func (v *View) stagesLine(now time.Time) []segment {
	var stages []string
	counts := map[string]*[5]int{}
	for _, name := range v.order {
		info := v.jobs[name]
		c := counts[info.stage]
		if c == nil {
			c = &[5]int{}
			counts[info.stage] = c
			stages = append(stages, info.stage)
		}
		switch info.status {
		case scheduler.StatusRunning:
			c[0]++
		case scheduler.StatusSuccess:
			c[1]++
		case scheduler.StatusWarning:
			c[2]++
		case scheduler.StatusFailed:
			c[3]++
		case scheduler.StatusCreated, scheduler.StatusPending, scheduler.StatusScheduled, scheduler.StatusWaitingForResource:
			c[4]++
		}
	}
	marks := [5]segment{{yellow, "●"}, {green, "✓"}, {yellow, "!"}, {red, "✗"}, {dim, "○"}}
	var segs []segment
	for i, st := range stages {
		if i > 0 {
			segs = append(segs, segment{dim, " │ "})
		}
		segs = append(segs, segment{bold, st})
		for k, n := range counts[st] {
			if n > 0 {
				segs = append(segs, segment{"", " "}, segment{marks[k].color, marks[k].text + strconv.Itoa(n)})
			}
		}
	}
	if !v.start.IsZero() {
		segs = append(segs, segment{dim, "   " + elapsed(now.Sub(v.start))})
	}
	return segs
}

// running counts the running jobs.
func (v *View) running() int {
	n := 0
	for _, info := range v.jobs {
		if info.status == scheduler.StatusRunning {
			n++
		}
	}
	return n
}

func (v *View) width() int {
	if v.opt.Width != nil {
		if w := v.opt.Width(); w > 0 {
			return w
		}
	}
	return 80
}

func (v *View) now() time.Time {
	if v.opt.Now != nil {
		return v.opt.Now()
	}
	return time.Now()
}

// elapsed prints a running time to the tenth of a second, then in minutes.
func elapsed(d time.Duration) string {
	d = max(d, 0)
	if d < time.Minute {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return formatDuration(d)
}
