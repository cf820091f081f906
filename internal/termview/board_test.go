package termview

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gantry-ci/gantry/internal/scheduler"
	"github.com/google/go-cmp/cmp"
)

// screen replays what a terminal shows for output made of text, newlines,
// carriage returns, cursor-up (CSI n A) and erase-below (CSI J); colours
// are dropped.
func screen(out string) []string {
	csi := regexp.MustCompile(`^\x1b\[([0-9;]*)([A-Za-z])`)
	lines := [][]rune{nil}
	row, col := 0, 0
	for i := 0; i < len(out); {
		if m := csi.FindStringSubmatch(out[i:]); m != nil {
			switch m[2] {
			case "A":
				n, _ := strconv.Atoi(m[1])
				row = max(0, row-max(n, 1))
			case "J":
				lines = lines[:row+1]
				lines[row] = lines[row][:min(col, len(lines[row]))]
			}
			i += len(m[0])
			continue
		}
		c, size := utf8.DecodeRuneInString(out[i:])
		i += size
		switch c {
		case '\r':
			col = 0
		case '\n':
			row, col = row+1, 0
			for len(lines) <= row {
				lines = append(lines, nil)
			}
		default:
			l := lines[row]
			for len(l) <= col {
				l = append(l, ' ')
			}
			l[col] = c
			lines[row] = l
			col++
		}
	}
	out2 := make([]string, len(lines))
	for i, l := range lines {
		out2[i] = string(l)
	}
	return out2
}

func TestBoard(t *testing.T) {
	var b bytes.Buffer
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := t0
	v := New(&b, Options{Color: true, Board: true, Now: func() time.Time { return now }, Width: func() int { return 40 }})
	defer v.Close()
	for _, ev := range []scheduler.Event{
		{Kind: scheduler.KindPipelineCreated, Time: t0},
		{Kind: scheduler.KindJobCreated, Job: "build", Stage: "build"},
		{Kind: scheduler.KindJobCreated, Job: "lint", Stage: "build"},
		{Kind: scheduler.KindJobCreated, Job: "a-very-long-job-name-for-the-width", Stage: "test"},
		{Kind: scheduler.KindJobStarted, Job: "build", Stage: "build", Time: t0},
		{Kind: scheduler.KindJobStarted, Job: "lint", Stage: "build", Time: t0.Add(time.Second)},
		{Kind: scheduler.KindJobStarted, Job: "a-very-long-job-name-for-the-width", Stage: "test", Time: t0},
		{Kind: scheduler.KindJobLog, Job: "build", Text: "compiling\n"},
	} {
		v.Handle(ev)
	}
	now = t0.Add(2500 * time.Millisecond)
	v.Handle(scheduler.Event{Kind: scheduler.KindJobLog, Job: "lint", Text: "ok\n"})
	got := screen(b.String())
	want := []string{
		"build                              > compiling",
		"lint                               > ok",
		"build ●2 │ test ●1   2.5s",
		" ●   2.5s  build  build",
		" ●   1.5s  lint  build",
		" ●   2.5s  a-very-long-job-name-for-the", // 39 columns
		"",
	}
	// The job lines are cut at 39 columns: no line may wrap.
	if diff := cmp.Diff(want, got[len(got)-len(want):]); diff != "" {
		t.Errorf("screen (-want +got):\n%s\nraw: %q", diff, b.String())
	}

	now = t0.Add(3 * time.Second)
	v.Handle(scheduler.Event{Kind: scheduler.KindJobFinished, Job: "build", Status: scheduler.StatusSuccess, Duration: 3 * time.Second})
	v.Handle(scheduler.Event{Kind: scheduler.KindJobFinished, Job: "lint", Status: scheduler.StatusFailed, Duration: 2 * time.Second})
	got = screen(b.String())
	if last := got[len(got)-3]; last != "build ✓1 ✗1 │ test ●1   3.0s" {
		t.Errorf("board after both finished: %q", last)
	}
	v.Summary(&scheduler.Result{Status: scheduler.StatusFailed}, "")
	for _, l := range screen(b.String()) {
		if strings.Contains(l, "●") || strings.Contains(l, "○") {
			t.Errorf("board left on screen after the summary: %q", l)
		}
	}
}

func TestBoardRedrawsTimes(t *testing.T) {
	var b bytes.Buffer
	v := New(&b, Options{Board: true})
	v.Handle(scheduler.Event{Kind: scheduler.KindPipelineCreated, Time: time.Now()})
	v.Handle(scheduler.Event{Kind: scheduler.KindJobCreated, Job: "j", Stage: "s"})
	v.Handle(scheduler.Event{Kind: scheduler.KindJobStarted, Job: "j", Time: time.Now()})
	v.mu.Lock()
	before := b.Len()
	v.mu.Unlock()
	time.Sleep(3 * BoardInterval)
	v.Close()
	if b.Len() == before {
		t.Error("the board was not redrawn between events")
	}
	v.Close() // a second Close does nothing
}

func TestNoBoardWithoutOption(t *testing.T) {
	var b bytes.Buffer
	v := New(&b, Options{Color: true})
	v.Handle(scheduler.Event{Kind: scheduler.KindJobCreated, Job: "j", Stage: "s"})
	v.Handle(scheduler.Event{Kind: scheduler.KindJobStarted, Job: "j"})
	v.Close()
	if strings.Contains(b.String(), "\x1b[J") || strings.Contains(b.String(), "●") {
		t.Errorf("board drawn without Board: %q", b.String())
	}
}
