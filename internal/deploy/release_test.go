package deploy

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func rec(action, tag string, r Result) Record {
	return Record{Action: action, Tag: tag, Digest: "sha256:" + tag, Image: "reg/app@sha256:" + tag, Result: r}
}

func TestPickRollback(t *testing.T) {
	log := []Record{
		rec("deploy", "aaaaaaa1111", Success),
		rec("deploy", "bbbbbbb2222", Success),
		rec("deploy", "ccccccc3333", RolledBack),
		rec("deploy", "ddddddd4444", Success),
	}
	cur := &Current{Tag: "ddddddd4444", Digest: "sha256:ddddddd4444"}
	tests := []struct {
		name, to, want string
		err            error
	}{
		{"the one before", "", "bbbbbbb2222", nil},
		{"by tag", "aaaaaaa1111", "aaaaaaa1111", nil},
		{"by 7-char prefix", "aaaaaaa", "aaaaaaa1111", nil},
		{"short prefix refused", "aaa", "", ErrNoRelease},
		{"failed release refused", "ccccccc3333", "", ErrNoRelease},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pickRollback(log, cur, tt.to)
			if !errors.Is(err, tt.err) || got.tag != tt.want {
				t.Fatalf("pickRollback(%q) = %q, %v; want %q, %v", tt.to, got.tag, err, tt.want, tt.err)
			}
		})
	}
	if _, err := pickRollback(nil, nil, ""); !errors.Is(err, ErrNoRelease) {
		t.Errorf("empty log: %v", err)
	}
}

func TestKeepAndPrune(t *testing.T) {
	log := []Record{
		rec("deploy", "a", Success),
		rec("deploy", "b", Success),
		rec("deploy", "x", Failed),
		rec("deploy", "c", Success),
		rec("rollback", "b", Success),
		rec("deploy", "d", Success),
	}
	kept := keptDigests(log, 3)
	if diff := cmp.Diff([]string{"sha256:d", "sha256:b", "sha256:c"}, kept); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"reg/app@sha256:a", "reg/app@sha256:x"}, prunable(log, kept)); diff != "" {
		t.Errorf("prunable (-want +got):\n%s", diff)
	}
}

func TestParseState(t *testing.T) {
	since := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	out := `{"sha":"v2","digest":"sha256:b","image":"r@sha256:b","since":"2026-01-02T03:04:05Z"}
` + stateMarker + `
{"env":"prod","action":"deploy","sha":"v1","digest":"sha256:a","image":"r@sha256:a","who":"ana","start":"2026-01-02T03:04:05Z","end":"2026-01-02T03:04:05Z","result":"success"}

{"env":"prod","action":"deploy","sha":"v2","digest":"sha256:b","image":"r@sha256:b","who":"ana","start":"2026-01-02T03:04:05Z","end":"2026-01-02T03:04:05Z","result":"rolled_back"}
`
	cur, recs, err := parseState("/srv/app", out)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&Current{Tag: "v2", Digest: "sha256:b", Image: "r@sha256:b", Since: since}, cur); diff != "" {
		t.Errorf("current (-want +got):\n%s", diff)
	}
	if len(recs) != 2 || recs[1].Result != RolledBack || recs[0].Who != "ana" {
		t.Errorf("records = %+v", recs)
	}
	if cur, recs, err := parseState("/srv/app", "\n"+stateMarker+"\n"); err != nil || cur != nil || recs != nil {
		t.Errorf("empty state = %v, %v, %v", cur, recs, err)
	}
	_, _, err = parseState("/srv/app", "\n"+stateMarker+"\n{bad\n")
	if err == nil || !strings.Contains(err.Error(), "/srv/app/.gantry/releases.jsonl:1") {
		t.Errorf("bad log line: %v", err)
	}
}

func TestResultAndStepText(t *testing.T) {
	for r := Running; r <= Canceled; r++ {
		b, _ := r.MarshalText()
		var back Result
		if err := back.UnmarshalText(b); err != nil || back != r {
			t.Errorf("result %s round trip: %v, %v", r, back, err)
		}
	}
	for s := StepResolve; s <= StepNotify; s++ {
		b, _ := s.MarshalText()
		var back Step
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("step %s round trip: %v, %v", s, back, err)
		}
	}
}

func FuzzParseState(f *testing.F) {
	f.Add("\n" + stateMarker + "\n")
	f.Add(`{"sha":"v1"}` + "\n" + stateMarker + "\n" + `{"result":"success"}` + "\n")
	f.Add(`{"result":"nope"}`)
	f.Fuzz(func(t *testing.T, out string) {
		// Whatever a host prints, reading it must not panic.
		_, _, _ = parseState("/srv", out)
	})
}
