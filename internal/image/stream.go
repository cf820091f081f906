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
type engineError struct {
	msg string
	// kind is what the engine's answer said, when its status code said
	// it; KindOther leaves classifyEngine to read the text.
	kind Kind
}

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

// layerPrinter writes a pull's progress as one line per layer, when the
// layer is in place: the engine sends a dozen statuses and hundreds of
// progress events per layer, which a job log (one notice per line) must
// not repeat.
type layerPrinter struct {
	w    io.Writer
	size map[string]int64
	last map[string]string
}

func newLayerPrinter(w io.Writer) *layerPrinter {
	return &layerPrinter{w: w, size: map[string]int64{}, last: map[string]string{}}
}

// pullSteps are the statuses of a layer on its way in; the line comes
// when it is done.
var pullSteps = map[string]bool{
	"Pulling fs layer": true, "Waiting": true, "Downloading": true, "Verifying Checksum": true,
	"Download complete": true, "Extracting": true,
}

func (p *layerPrinter) print(m *message) {
	switch {
	case m.Status == "":
	case m.ID == "":
		fmt.Fprintln(p.w, m.Status) // "Digest: ...", "Status: ..."
	case strings.HasPrefix(m.Status, "Pulling from "):
		fmt.Fprintln(p.w, m.Status)
	case pullSteps[m.Status]:
		if m.Status == "Downloading" && m.Progress != nil && m.Progress.Total > 0 {
			p.size[m.ID] = m.Progress.Total
		}
	case m.Status == "Pull complete":
		if n := p.size[m.ID]; n > 0 {
			fmt.Fprintf(p.w, "%s: Pull complete (%s)\n", m.ID, humanSize(n))
			return
		}
		fmt.Fprintf(p.w, "%s: Pull complete\n", m.ID)
	default:
		// "Already exists", "Retrying in 5 seconds" (counting down: the
		// first word tells a new status from a repaint).
		word, _, _ := strings.Cut(m.Status, " ")
		if p.last[m.ID] == word {
			return
		}
		p.last[m.ID] = word
		fmt.Fprintf(p.w, "%s: %s\n", m.ID, m.Status)
	}
}
