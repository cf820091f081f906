package image

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// BuildKit reports progress through the engine's build stream as
// "moby.buildkit.trace" messages whose aux is a protobuf-encoded
// moby.buildkit.v1.StatusResponse. gantry reads the few fields it shows
// with the small wire-format reader below rather than importing BuildKit
// and gRPC for them; unknown fields are skipped, as protobuf requires.

// vertex is a build step (moby.buildkit.v1.Vertex).
type vertex struct {
	digest    string
	name      string
	cached    bool
	started   time.Time
	completed time.Time
	err       string
}

// vertexLog is output of a step (moby.buildkit.v1.VertexLog).
type vertexLog struct {
	vertex string
	msg    []byte
}

// statusResponse is the part of moby.buildkit.v1.StatusResponse shown.
type statusResponse struct {
	vertexes []vertex
	logs     []vertexLog
}

var errProto = errors.New("malformed BuildKit status")

// field is one protobuf field: its number, and its value as a varint or
// as bytes (length-delimited and fixed-size values).
type field struct {
	num   uint64
	wire  uint64
	n     uint64
	bytes []byte
}

// fields calls fn for each field of the protobuf message b.
func fields(b []byte, fn func(field) error) error {
	for len(b) > 0 {
		key, k := binary.Uvarint(b)
		if k <= 0 {
			return errProto
		}
		b = b[k:]
		f := field{num: key >> 3, wire: key & 7}
		switch f.wire {
		case 0: // varint
			v, k := binary.Uvarint(b)
			if k <= 0 {
				return errProto
			}
			f.n, b = v, b[k:]
		case 1: // fixed64
			if len(b) < 8 {
				return errProto
			}
			f.bytes, b = b[:8], b[8:]
		case 2: // length-delimited
			l, k := binary.Uvarint(b)
			if k <= 0 || l > uint64(len(b)-k) {
				return errProto
			}
			f.bytes, b = b[k:k+int(l)], b[k+int(l):]
		case 5: // fixed32
			if len(b) < 4 {
				return errProto
			}
			f.bytes, b = b[:4], b[4:]
		default: // groups (3, 4) are not used by BuildKit
			return errProto
		}
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

// parseStatus decodes a StatusResponse.
func parseStatus(b []byte) (statusResponse, error) {
	var s statusResponse
	err := fields(b, func(f field) error {
		switch {
		case f.num == 1 && f.wire == 2:
			v, err := parseVertex(f.bytes)
			if err != nil {
				return err
			}
			s.vertexes = append(s.vertexes, v)
		case f.num == 3 && f.wire == 2:
			var l vertexLog
			err := fields(f.bytes, func(g field) error {
				switch {
				case g.num == 1 && g.wire == 2:
					l.vertex = string(g.bytes)
				case g.num == 4 && g.wire == 2:
					l.msg = g.bytes
				}
				return nil
			})
			if err != nil {
				return err
			}
			s.logs = append(s.logs, l)
		}
		return nil
	})
	return s, err
}

func parseVertex(b []byte) (vertex, error) {
	var v vertex
	err := fields(b, func(f field) error {
		var err error
		switch {
		case f.num == 1 && f.wire == 2:
			v.digest = string(f.bytes)
		case f.num == 3 && f.wire == 2:
			v.name = string(f.bytes)
		case f.num == 4 && f.wire == 0:
			v.cached = f.n != 0
		case f.num == 5 && f.wire == 2:
			v.started, err = parseTimestamp(f.bytes)
		case f.num == 6 && f.wire == 2:
			v.completed, err = parseTimestamp(f.bytes)
		case f.num == 7 && f.wire == 2:
			v.err = string(f.bytes)
		}
		return err
	})
	return v, err
}

// parseTimestamp decodes a google.protobuf.Timestamp.
func parseTimestamp(b []byte) (time.Time, error) {
	var sec, nsec int64
	err := fields(b, func(f field) error {
		switch {
		case f.num == 1 && f.wire == 0:
			sec = int64(f.n)
		case f.num == 2 && f.wire == 0:
			nsec = int64(int32(f.n))
		}
		return nil
	})
	return time.Unix(sec, nsec), err
}

// traceWriter prints BuildKit progress as `docker build --progress=plain`
// does: each step numbered when it starts, its output prefixed by its
// number, and DONE, CACHED or ERROR when it ends.
type traceWriter struct {
	w       io.Writer
	num     map[string]int
	started map[string]bool
	ended   map[string]bool
	partial map[string]string // output not yet ended by a newline
}

func newTraceWriter(w io.Writer) *traceWriter {
	return &traceWriter{w: w, num: map[string]int{}, started: map[string]bool{},
		ended: map[string]bool{}, partial: map[string]string{}}
}

func (t *traceWriter) id(digest string) int {
	n, ok := t.num[digest]
	if !ok {
		n = len(t.num) + 1
		t.num[digest] = n
	}
	return n
}

// write shows one StatusResponse.
func (t *traceWriter) write(s statusResponse) {
	for _, v := range s.vertexes {
		if v.started.IsZero() && !v.cached || t.ended[v.digest] {
			continue
		}
		n := t.id(v.digest)
		if !t.started[v.digest] {
			t.started[v.digest] = true
			fmt.Fprintf(t.w, "#%d %s\n", n, v.name)
		}
		switch {
		case v.err != "":
			t.flush(v.digest)
			fmt.Fprintf(t.w, "#%d ERROR: %s\n", n, v.err)
			t.ended[v.digest] = true
		case v.cached:
			fmt.Fprintf(t.w, "#%d CACHED\n", n)
			t.ended[v.digest] = true
		case !v.completed.IsZero():
			t.flush(v.digest)
			fmt.Fprintf(t.w, "#%d DONE %.1fs\n", n, v.completed.Sub(v.started).Seconds())
			t.ended[v.digest] = true
		}
	}
	for _, l := range s.logs {
		n := t.id(l.vertex)
		text := t.partial[l.vertex] + string(l.msg)
		lines := strings.Split(text, "\n")
		t.partial[l.vertex] = lines[len(lines)-1]
		for _, line := range lines[:len(lines)-1] {
			fmt.Fprintf(t.w, "#%d %s\n", n, strings.TrimRight(line, "\r"))
		}
	}
}

// flush prints the last unterminated output line of a step.
func (t *traceWriter) flush(digest string) {
	if p := t.partial[digest]; p != "" {
		fmt.Fprintf(t.w, "#%d %s\n", t.id(digest), p)
		delete(t.partial, digest)
	}
}
