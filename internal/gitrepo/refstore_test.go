package gitrepo

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestValidRefNameAgreesWithGit: a name validRefName accepts, git's
// check-ref-format accepts too (it may refuse more: those go to git).
func TestValidRefNameAgreesWithGit(t *testing.T) {
	names := []string{
		"refs/heads/main", "refs/tags/v1.2.0", "refs/remotes/origin/feature/x-y_z",
		"refs/heads/a..b", "refs/heads/.hidden", "refs/heads/x.lock", "refs/heads/a b",
		"refs/heads/a~1", "refs/heads/a^", "refs/heads/a:b", "refs/heads/a?", "refs/heads/a*",
		"refs/heads/a[", "refs/heads/a\\b", "refs/heads/x/", "refs/heads/x.", "refs/heads//x",
		"refs/heads/a@{1}", "refs/heads/@", "refs/heads/ünïcode", "refs/tags/v1/rc",
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			gitOK := exec.Command("git", "check-ref-format", name).Run() == nil
			if validRefName(name) && !gitOK {
				t.Errorf("validRefName(%q) = true, git check-ref-format refuses it", name)
			}
		})
	}
}

func TestParsePackedRefs(t *testing.T) {
	a, b, c := strings.Repeat("a", 40), strings.Repeat("b", 40), strings.Repeat("c", 40)
	tests := []struct {
		name       string
		data       string
		want       map[string]packedRef
		tagsPeeled bool
		bad        bool
	}{
		{"traits and a peeled tag", "# pack-refs with: peeled fully-peeled sorted \n" + a + " refs/heads/main\n" + b + " refs/tags/v1\n^" + c + "\n",
			map[string]packedRef{"refs/heads/main": {sha: a}, "refs/tags/v1": {sha: b, peeled: c}}, true, false},
		{"no traits", a + " refs/heads/main\r\n", map[string]packedRef{"refs/heads/main": {sha: a}}, false, false},
		{"empty", "", map[string]packedRef{}, false, false},
		{"a peeled line first", "^" + a + "\n", nil, false, true},
		{"two peeled lines", b + " refs/tags/v1\n^" + c + "\n^" + c + "\n", nil, false, true},
		{"short sha", "abc refs/heads/x\n", nil, false, true},
		{"bad name", a + " refs/heads/a..b\n", nil, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, peeled, err := parsePackedRefs([]byte(tt.data))
			if (err != nil) != tt.bad {
				t.Fatalf("err = %v, want error %v", err, tt.bad)
			}
			if tt.bad {
				return
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(packedRef{})); diff != "" || peeled != tt.tagsPeeled {
				t.Errorf("peeled %v (-want +got):\n%s", peeled, diff)
			}
		})
	}
}

func FuzzParsePackedRefs(f *testing.F) {
	a := strings.Repeat("a", 40)
	f.Add("# pack-refs with: peeled fully-peeled sorted \n" + a + " refs/heads/main\n" + a + " refs/tags/v1\n^" + a + "\n")
	f.Add(a + " refs/heads/x\r\n^" + a)
	f.Fuzz(func(t *testing.T, data string) {
		refs, _, err := parsePackedRefs([]byte(data))
		if err != nil {
			return
		}
		for name, r := range refs {
			if !validRefName(name) || !isHex40(r.sha) || (r.peeled != "" && !isHex40(r.peeled)) {
				t.Fatalf("accepted %q -> %+v", name, r)
			}
		}
	})
}
