package cli

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRunChildPipelines(t *testing.T) {
	dir := runProject(t, "child-pipelines", map[string]string{
		"child.yml": "workflow:\n  rules:\n    - if: $CI_PIPELINE_SOURCE == \"parent_pipeline\"\n" +
			"show:\n  variables:\n    SHARED: from-child\n" +
			"  script: echo \"GLOBAL=$GLOBAL OWN=$OWN SHARED=$SHARED SOURCE=$CI_PIPELINE_SOURCE\"\n" +
			"nested:\n  trigger:\n    include: grandchild.yml\n",
		"grandchild.yml": "deep:\n  script: echo deep $OWN\n",
		"failing.yml":    "fail:\n  script:\n    - echo \"GLOBAL=[$GLOBAL]\"\n    - exit 1\n",
	})
	code, out, errOut, r := gantryRun(t, dir)
	if code != ExitFailed {
		t.Fatalf("exit %d, want %d (depend's child failed)\n%s%s", code, ExitFailed, out, errOut)
	}
	want := map[string]string{"generate": "success", "vars": "success", "dynamic": "success",
		"depend": "failed", "nodepend": "success", "unforwarded": "success"}
	if diff := cmp.Diff(want, jobStatuses(r)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	// The view pads job names; compare with single blanks.
	flat := regexp.MustCompile(` +`).ReplaceAllString(out, " ")
	for _, w := range []string{
		// The trigger job's variables (its own and the global ones) rank
		// above the child job's, as pipeline variables.
		"[vars] -> show > GLOBAL=g OWN=own SHARED=from-trigger SOURCE=parent_pipeline",
		// The nested trigger passes nothing it did not define: OWN was a
		// pipeline variable of the child.
		"[vars -> nested] -> deep > deep",
		"[dynamic] -> gen > generated yes-it-is",
		"[unforwarded] -> show > GLOBAL= OWN= SHARED=from-child SOURCE=parent_pipeline",
		"[depend] -> fail > GLOBAL=[]",
		"[nodepend] -> fail > GLOBAL=[g]",
		"depend # failed in",
		"downstream pipeline failed",
		"the trigger job passes all the same",
	} {
		if !strings.Contains(flat, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}
