package plan

import (
	"strings"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/pipeline"
)

func TestDelayed(t *testing.T) {
	p := pl(
		mk("job-level", "test", when(pipeline.WhenDelayed), func(j *pipeline.Job) { j.StartIn = "30 minutes" }),
		mk("from-rule", "test", rules(pipeline.Rule{When: pipeline.WhenDelayed, StartIn: "1 hour"})),
	)
	got := mustNew(t, p, branch("main"))
	if d := got.Job("job-level").StartIn; d != 30*time.Minute {
		t.Errorf("job-level StartIn = %v", d)
	}
	if d := got.Job("from-rule").StartIn; d != time.Hour {
		t.Errorf("from-rule StartIn = %v", d)
	}
	p = pl(mk("bad", "test", when(pipeline.WhenDelayed)))
	if _, err := New(p, branch("main")); err == nil || !strings.Contains(err.Error(), "start_in") {
		t.Errorf("err = %v, want a start_in error", err)
	}
}

func FuzzRefPattern(f *testing.F) {
	for _, s := range []string{"main", "/^release-.*$/i", "branches@group/proj", "/(/", "//", "/a/U"} {
		f.Add(s, "release-1")
	}
	f.Fuzz(func(t *testing.T, pattern, ref string) {
		ev := newEvaluator(pl(), Trigger{Ref: ref})
		_ = ev.refsMatch([]string{pattern}, newScope(0)) // must not panic
	})
}
