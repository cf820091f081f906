package gitlabci

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRender(t *testing.T) {
	src := `a:
  yes_string: "yes"
  off_string: "off"
  number_string: "5"
  number: 5
  multi: |
    line 1
    line 2
  empty:
  ref: !reference [a, b]
`
	n, err := ParseDocument("r.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := `a:
  yes_string: "yes"
  off_string: "off"
  number_string: "5"
  number: 5
  multi: |
    line 1
    line 2
  empty: null
  ref: !reference [a, b]
`
	if diff := cmp.Diff(want, render(t, n)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
