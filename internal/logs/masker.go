// Package logs holds the writers that job output flows through on its way to
// events, files and screens: secret masking, a size cap and a line chunker.
// Every writer here streams with bounded memory, whatever the output size.
package logs

import (
	"bytes"
	"io"
	"sort"
)

// Masked is what every occurrence of a secret is replaced by, as in GitLab.
const Masked = "[MASKED]"

// chunkSize bounds the bytes scanned per pass, so that memory stays flat
// when a caller hands Write one huge slice.
const chunkSize = 64 << 10

// Masker is an io.Writer that replaces every occurrence of its secrets by
// [MASKED] before passing bytes on, also when a secret is split across Write
// calls. It holds back at most maxLen-1 bytes (maxLen is the longest secret)
// that could still start a secret; Flush writes them at the end.
//
// Where occurrences overlap, the leftmost wins, and among secrets starting at
// the same byte the longest wins. The result is the same whatever the Write
// boundaries. A Masker is not safe for concurrent use.
type Masker struct {
	w           io.Writer
	replacement []byte
	// byFirst lists, for each first byte, the secrets starting with it,
	// longest first so the first full match is the longest.
	byFirst [256][][]byte
	first   [256]bool
	// single is the only first byte when all secrets share one, so the scan
	// can use the vectorised bytes.IndexByte.
	single  int
	maxLen  int
	pending []byte // held-back tail, then scratch for the next chunk
	out     []byte
	err     error
}

// NewMasker returns a Masker writing to w. Empty secrets and duplicates are
// ignored; with no secrets left it only passes bytes through.
func NewMasker(w io.Writer, secrets []string) *Masker {
	return newMasker(w, secrets, Masked)
}

func newMasker(w io.Writer, secrets []string, replacement string) *Masker {
	m := &Masker{w: w, replacement: []byte(replacement), single: -1}
	seen := map[string]bool{}
	firsts := 0
	for _, s := range secrets {
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		b := s[0]
		if !m.first[b] {
			firsts++
			m.single = int(b)
		}
		m.first[b] = true
		m.byFirst[b] = append(m.byFirst[b], []byte(s))
		m.maxLen = max(m.maxLen, len(s))
	}
	if firsts != 1 {
		m.single = -1
	}
	for i := range m.byFirst {
		l := m.byFirst[i]
		sort.SliceStable(l, func(a, b int) bool { return len(l[a]) > len(l[b]) })
	}
	return m
}

// Write masks p and writes what is certain not to start a secret. It always
// consumes all of p unless the underlying writer fails.
func (m *Masker) Write(p []byte) (int, error) {
	if m.err != nil {
		return 0, m.err
	}
	if m.maxLen == 0 {
		return m.w.Write(p)
	}
	n := len(p)
	for len(p) > 0 {
		c := min(len(p), chunkSize)
		m.pending = append(m.pending, p[:c]...)
		p = p[c:]
		if err := m.process(false); err != nil {
			return n - len(p), err
		}
	}
	return n, nil
}

// Flush masks and writes the held-back tail. Call it once the output ends;
// the Masker can be written to again afterwards.
func (m *Masker) Flush() error {
	if m.err != nil {
		return m.err
	}
	return m.process(true)
}

// process scans m.pending, writes the masked part that is final and keeps the
// rest (a possible secret prefix, shorter than the longest secret) in
// m.pending.
func (m *Masker) process(final bool) error {
	buf := m.pending
	out := m.out[:0]
	start, i, keep := 0, 0, len(buf) // buf[start:i] is clean, not yet in out
	for {
		i = m.nextCandidate(buf, i)
		if i >= len(buf) {
			break
		}
		l, partial := m.matchAt(buf[i:], final)
		if partial {
			keep = i
			break
		}
		if l == 0 {
			i++
			continue
		}
		out = append(out, buf[start:i]...)
		out = append(out, m.replacement...)
		i += l
		start = i
	}
	var err error
	if len(out) == 0 {
		// Nothing masked: skip the copy, the common case.
		if start < keep {
			err = m.write(buf[start:keep])
		}
	} else {
		out = append(out, buf[start:keep]...)
		err = m.write(out)
	}
	m.out = out[:0]
	if err != nil {
		return err
	}
	m.pending = buf[:copy(buf, buf[keep:])]
	return nil
}

func (m *Masker) write(b []byte) error {
	if _, err := m.w.Write(b); err != nil {
		m.err = err
		return err
	}
	return nil
}

// nextCandidate returns the first index >= i whose byte starts a secret, or
// len(buf).
func (m *Masker) nextCandidate(buf []byte, i int) int {
	if m.single >= 0 {
		j := bytes.IndexByte(buf[i:], byte(m.single))
		if j < 0 {
			return len(buf)
		}
		return i + j
	}
	for i < len(buf) && !m.first[buf[i]] {
		i++
	}
	return i
}

// matchAt returns the length of the longest secret that b starts with. When
// not final and b is a proper prefix of a secret at least as long as any full
// match, it reports partial: more input could change the answer.
func (m *Masker) matchAt(b []byte, final bool) (n int, partial bool) {
	for _, s := range m.byFirst[b[0]] {
		if len(s) <= len(b) {
			if bytes.Equal(b[:len(s)], s) {
				return len(s), false
			}
			continue
		}
		// s is longer than what we have: a longer match may still come.
		if !final && bytes.Equal(b, s[:len(b)]) {
			return 0, true
		}
	}
	return 0, false
}
