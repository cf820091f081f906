package plan

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSelect(t *testing.T) {
	// a <- b <- c, and d (matrix instances d: [x], d: [y]) needs nothing.
	p := &Plan{Stages: []string{"build", "test"}, Jobs: []*Job{
		{Name: "a", Base: "a", Stage: "build"},
		{Name: "b", Base: "b", Stage: "test", Needs: []Need{{Job: "a"}}},
		{Name: "c", Base: "c", Stage: "test", Needs: []Need{{Job: "b"}}},
		{Name: "d: [x]", Base: "d", Stage: "build"},
		{Name: "d: [y]", Base: "d", Stage: "build"},
	}}
	tests := []struct {
		name string
		sel  Selection
		want []string
		// needs of the last selected job
		lastNeeds []string
	}{
		{"job alone drops its edges", Selection{Jobs: []string{"c"}}, []string{"c"}, nil},
		{"with needs", Selection{Jobs: []string{"c"}, Needs: true}, []string{"a", "b", "c"}, []string{"b"}},
		{"only needs", Selection{Jobs: []string{"c"}, OnlyNeeds: true}, []string{"a", "b"}, []string{"a"}},
		{"base name selects instances", Selection{Jobs: []string{"d"}}, []string{"d: [x]", "d: [y]"}, nil},
		{"instance by name", Selection{Jobs: []string{"d: [y]"}}, []string{"d: [y]"}, nil},
		{"stage", Selection{Stages: []string{"test"}}, []string{"b", "c"}, []string{"b"}},
		{"stage and job", Selection{Stages: []string{"test"}, Jobs: []string{"d: [x]"}}, []string{"b", "c", "d: [x]"}, nil},
		{"stage with needs", Selection{Stages: []string{"test"}, Needs: true}, []string{"a", "b", "c"}, []string{"b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Select(p, tt.sel)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, j := range got.Jobs {
				names = append(names, j.Name)
			}
			if diff := cmp.Diff(tt.want, names); diff != "" {
				t.Errorf("jobs (-want +got):\n%s", diff)
			}
			var needs []string
			for _, n := range got.Jobs[len(got.Jobs)-1].Needs {
				needs = append(needs, n.Job)
			}
			if !slices.Equal(needs, tt.lastNeeds) {
				t.Errorf("needs = %v, want %v", needs, tt.lastNeeds)
			}
		})
	}
	if _, err := Select(p, Selection{Jobs: []string{"nope"}}); err == nil {
		t.Error("unknown job: no error")
	}
	if _, err := Select(p, Selection{Stages: []string{"deploy"}}); err == nil || !strings.Contains(err.Error(), "stages: build, test") {
		t.Errorf("unknown stage: error %v, want one listing the stages", err)
	}
	if len(p.Jobs[2].Needs) != 1 {
		t.Error("Select changed the original plan")
	}
}
