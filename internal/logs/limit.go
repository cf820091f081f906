package logs

import (
	"fmt"
	"io"
)

// DefaultLimit is the default job log cap, GitLab's default (4 MiB) times 16:
// a local run keeps more than a shared server would.
const DefaultLimit = 64 << 20

// LimitWriter passes the first Limit bytes to W, then writes one notice and
// discards the rest while still reporting success, so the job keeps running
// as GitLab's runner does when a log exceeds its limit.
type LimitWriter struct {
	W     io.Writer
	Limit int64
	n     int64
	over  bool
}

// Write implements io.Writer.
func (l *LimitWriter) Write(p []byte) (int, error) {
	if l.over {
		return len(p), nil
	}
	room := l.Limit - l.n
	if int64(len(p)) <= room {
		l.n += int64(len(p))
		return l.W.Write(p)
	}
	if room > 0 {
		if _, err := l.W.Write(p[:room]); err != nil {
			return 0, err
		}
	}
	l.n = l.Limit
	l.over = true
	notice := fmt.Sprintf("\nJob's log exceeded limit of %d bytes.\nJob execution will continue but no more output will be collected.\n", l.Limit)
	if _, err := io.WriteString(l.W, notice); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Truncated reports whether output was discarded.
func (l *LimitWriter) Truncated() bool { return l.over }
