package gitlabci

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDeepMerge(t *testing.T) {
	parse := func(src string) *Node {
		t.Helper()
		n, err := ParseDocument("m.yml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	var big strings.Builder
	for i := range 40 {
		fmt.Fprintf(&big, "k%d: {a: %d}\n", i, i)
	}
	tests := []struct {
		name, dst, src, want string
	}{
		{"maps merge", "a: {x: 1, y: 2}\nb: 1\n", "a: {y: 3, z: 4}\nc: 2\n", "a:\n  x: 1\n  y: 3\n  z: 4\nb: 1\nc: 2\n"},
		{"lists replace", "a: [1, 2]\n", "a: [3]\n", "a:\n  - 3\n"},
		{"scalar replaces map", "a: {x: 1}\n", "a: 2\n", "a: 2\n"},
		{"null replaces", "a: {x: 1}\n", "a:\n", "a: null\n"},
		{"large maps", big.String(), "k39: {b: x}\nk40: {a: 40}\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst, src := parse(tt.dst), parse(tt.src)
			before := render(t, dst)
			got := render(t, deepMerge(dst, src))
			if tt.want == "" {
				// Past indexThreshold keys the lookup is indexed: same result.
				if !strings.HasSuffix(got, "k39:\n  a: 39\n  b: x\nk40:\n  a: 40\n") || !strings.HasPrefix(got, "k0:\n  a: 0\n") {
					t.Errorf("large maps merged wrongly:\n%s", got)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if after := render(t, dst); after != before {
				t.Error("deepMerge modified its input")
			}
		})
	}
}
