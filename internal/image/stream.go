package image

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// message is one JSON object of the engine's build and push streams.
type message struct {
	Stream   string          `json:"stream"`
	Status   string          `json:"status"`
	ID       string          `json:"id"`
	Progress *progressDetail `json:"progressDetail"`
	Aux      json.RawMessage `json:"aux"`
	Error    string          `json:"error"`
	Detail   *struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
}

type progressDetail struct {
	Current int64 `json:"current"`
	Total   int64 `json:"total"`
}

// engineError is an error the engine reported inside a stream (the HTTP
// status was 200 already).
type engineError struct{ msg string }

func (e *engineError) Error() string { return e.msg }

// readStream decodes the engine's stream, calling fn for each message, and
// returns the first error the engine reported in it.
func readStream(r io.Reader, fn func(*message) error) error {
	dec := json.NewDecoder(r)
	for {
		var m message
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("engine stream: %w", err)
		}
		if m.Error != "" || m.Detail != nil && m.Detail.Message != "" {
			msg := m.Error
			if m.Detail != nil && m.Detail.Message != "" {
				msg = m.Detail.Message
			}
			return &engineError{msg: strings.TrimSpace(msg)}
		}
		if err := fn(&m); err != nil {
			return err
		}
	}
}

// progressPrinter turns the engine's per-layer status messages into one
// line per change of a layer's status: progress bars repaint a terminal,
// but a job log gets "Pushing" once, not a thousand times.
type progressPrinter struct {
	w    io.Writer
	last map[string]string
}

func newProgressPrinter(w io.Writer) *progressPrinter {
	return &progressPrinter{w: w, last: map[string]string{}}
}

func (p *progressPrinter) print(m *message) {
	if m.Status == "" {
		return
	}
	if m.ID == "" {
		fmt.Fprintln(p.w, m.Status)
		return
	}
	if p.last[m.ID] == m.Status {
		return
	}
	p.last[m.ID] = m.Status
	if m.Progress != nil && m.Progress.Total > 0 {
		fmt.Fprintf(p.w, "%s: %s (%s)\n", m.ID, m.Status, humanSize(m.Progress.Total))
		return
	}
	fmt.Fprintf(p.w, "%s: %s\n", m.ID, m.Status)
}

// humanSize writes n bytes as docker does (decimal units).
func humanSize(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f, i := float64(n), 0
	for f >= unit && i < 4 {
		f /= unit
		i++
	}
	return fmt.Sprintf("%.3g %cB", f, "kMGT"[i-1])
}
