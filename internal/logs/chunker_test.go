package logs

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestChunker(t *testing.T) {
	tests := []struct {
		name   string
		max    int
		writes []string
		want   []string
	}{
		{"whole lines", 0, []string{"a\nb\n"}, []string{"a\nb\n"}},
		{"partial held", 0, []string{"a\nb", "c\n"}, []string{"a\n", "bc\n"}},
		{"partial flushed at end", 0, []string{"abc"}, []string{"abc"}},
		{"held then more lines", 0, []string{"x", "y\nz\nw"}, []string{"xy\n", "z\n", "w"}},
		{"long line cut at max", 4, []string{"abcdefghij\n"}, []string{"abcd", "efgh", "ij\n"}},
		{"lines packed up to max", 6, []string{"ab\ncd\nef\n"}, []string{"ab\ncd\n", "ef\n"}},
		{"held line cut at max", 4, []string{"ab", "cdef\n"}, []string{"abcd", "ef\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			c := &Chunker{Max: tt.max, Emit: func(b []byte) { got = append(got, string(b)) }}
			for _, w := range tt.writes {
				if n, err := c.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			c.Flush()
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("chunks (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzChunker(f *testing.F) {
	f.Add("a\nbb\nccc", byte(3), byte(2))
	f.Fuzz(func(t *testing.T, in string, max, step byte) {
		limit := int(max%32) + 1
		var got bytes.Buffer
		c := &Chunker{Max: limit, Emit: func(b []byte) {
			if len(b) > limit {
				t.Fatalf("chunk of %d bytes > max %d", len(b), limit)
			}
			if len(b) == 0 {
				t.Fatal("empty chunk")
			}
			got.Write(b)
		}}
		n := int(step%8) + 1
		for p := in; len(p) > 0; {
			k := min(n, len(p))
			if _, err := c.Write([]byte(p[:k])); err != nil {
				t.Fatal(err)
			}
			p = p[k:]
		}
		c.Flush()
		if got.String() != in {
			t.Fatalf("chunks joined = %q, want %q", got.String(), in)
		}
	})
}

func TestLimitWriter(t *testing.T) {
	var out bytes.Buffer
	l := &LimitWriter{W: &out, Limit: 5}
	for _, w := range []string{"abc", "defgh", "ijk"} {
		if n, err := l.Write([]byte(w)); n != len(w) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if !l.Truncated() {
		t.Error("Truncated() = false")
	}
	got := out.String()
	if !strings.HasPrefix(got, "abcde\nJob's log exceeded limit of 5 bytes.") || strings.Contains(got, "ijk") {
		t.Errorf("got %q", got)
	}
}
