package termview

import (
	"fmt"
	"strings"

	"github.com/gantry-ci/gantry/internal/scheduler"
)

// Summary writes the final table: each job with its stage, status,
// duration, coverage and tests, then the pipeline's status and time.
// The jobs of a child pipeline follow their trigger job, under the names
// the live output gave them ("[trigger] -> job"), in their own stage.
// footer, when not empty, ends it (where the logs are).
func (v *View) Summary(res *scheduler.Result, footer string) {
	v.Close()
	v.mu.Lock()
	defer v.mu.Unlock()
	header := []string{"JOB", "STAGE", "STATUS", "DURATION", "COVERAGE", "TESTS", "NOTE"}
	rows := [][]string{header}
	colors := []string{""}
	var add func(jobs []scheduler.JobResult)
	add = func(jobs []scheduler.JobResult) {
		for _, j := range jobs {
			rows = append(rows, summaryRow(j))
			colors = append(colors, statusColor(j.Status))
			if j.Downstream != nil {
				add(j.Downstream.Jobs)
			}
		}
	}
	add(res.Jobs)
	width := make([]int, len(header))
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], len(c))
		}
	}
	v.w.WriteByte('\n')
	for k, r := range rows {
		var b strings.Builder
		for i, c := range r {
			cell := c
			if i < len(r)-1 {
				cell += strings.Repeat(" ", width[i]-len(c)+2)
			}
			switch {
			case k == 0:
				cell = v.paint(bold, cell)
			case i == 2:
				cell = v.paint(colors[k], cell)
			}
			b.WriteString(cell)
		}
		v.w.WriteString(strings.TrimRight(b.String(), " "))
		v.w.WriteByte('\n')
	}
	status := "passed"
	switch res.Status {
	case scheduler.StatusFailed:
		status = "failed"
	case scheduler.StatusCanceled:
		status = "canceled"
	default:
		for _, j := range res.Jobs {
			if j.Status == scheduler.StatusWarning {
				status = "passed with warnings"
				break
			}
		}
	}
	line := fmt.Sprintf("pipeline %s in %s", status, formatDuration(res.Duration))
	v.w.WriteString("\n" + v.paint(bold+statusColor(res.Status), line) + "\n")
	if footer != "" {
		v.w.WriteString(footer + "\n")
	}
	v.flush()
}

// summaryRow is one job's cells in the summary table.
func summaryRow(j scheduler.JobResult) []string {
	dur, cov, tests := "-", "-", "-"
	if j.Attempts > 0 {
		dur = formatDuration(j.Duration)
	}
	if j.Coverage != nil {
		cov = fmt.Sprintf("%.2f%%", *j.Coverage)
	}
	if j.Tests != nil {
		tests = testsText(j.Tests)
	}
	note := ""
	if j.Status != scheduler.StatusSuccess {
		note = j.Reason
	}
	if j.Attempts > 1 {
		note = strings.TrimPrefix(note+fmt.Sprintf("; %d attempts", j.Attempts), "; ")
	}
	if j.AfterScriptFailed {
		note = strings.TrimPrefix(note+"; after_script failed", "; ")
	}
	if d := j.Downstream; d != nil && j.Status == scheduler.StatusSuccess && d.Status != scheduler.StatusSuccess {
		// Without strategy: depend the trigger job passes whatever its
		// child did: say what that was.
		note = strings.TrimPrefix(note+"; child pipeline "+d.Status.String(), "; ")
	}
	return []string{j.Name, j.Stage, statusText(j.Status, j.Failure), dur, cov, tests, note}
}

func statusColor(s scheduler.Status) string {
	switch s {
	case scheduler.StatusSuccess:
		return green
	case scheduler.StatusWarning, scheduler.StatusCanceled:
		return yellow
	case scheduler.StatusFailed:
		return red
	}
	return dim
}
