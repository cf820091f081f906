package logs

import "bytes"

// DefaultChunkMax is the largest chunk a Chunker emits: a long line without a
// newline is cut there, so a consumer never waits on unbounded input.
const DefaultChunkMax = 64 << 10

// Chunker is an io.Writer that hands its input to Emit in chunks that end on
// a line boundary: each Write emits all complete lines it completes as one
// chunk and holds the unfinished last line (up to Max bytes) for the next.
// Consumers (event streams, line-prefixing views) can then split on '\n'
// without keeping state. Flush emits the held partial line. Emit must not keep
// the slice past its return. A Chunker is not safe for concurrent use.
type Chunker struct {
	Emit func(chunk []byte)
	// Max caps a held partial line; zero means DefaultChunkMax.
	Max int
	buf []byte
}

// Write never fails.
func (c *Chunker) Write(p []byte) (int, error) {
	n := len(p)
	limit := c.Max
	if limit <= 0 {
		limit = DefaultChunkMax
	}
	for len(p) > 0 {
		if len(c.buf) > 0 {
			// Complete the held line first.
			nl := bytes.IndexByte(p, '\n')
			end := len(p)
			if nl >= 0 {
				end = nl + 1
			}
			end = min(end, limit-len(c.buf))
			c.buf = append(c.buf, p[:end]...)
			p = p[end:]
			if c.buf[len(c.buf)-1] == '\n' || len(c.buf) >= limit {
				c.Flush()
			}
			continue
		}
		if nl := bytes.LastIndexByte(p[:min(len(p), limit)], '\n'); nl >= 0 {
			c.Emit(p[:nl+1])
			p = p[nl+1:]
			continue
		}
		if len(p) >= limit {
			c.Emit(p[:limit])
			p = p[limit:]
			continue
		}
		c.buf = append(c.buf, p...)
		break
	}
	return n, nil
}

// Flush emits the held partial line, if any.
func (c *Chunker) Flush() {
	if len(c.buf) == 0 {
		return
	}
	c.Emit(c.buf)
	c.buf = c.buf[:0]
}
