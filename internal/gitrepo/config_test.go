package gitrepo

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// configSeeds are config files git reads in ways worth checking.
var configSeeds = []string{
	"[remote \"origin\"]\n\turl = git@gitlab.com:g/p.git\n",
	"[Remote \"Origin\"]\n\tURL=x\n[remote.Origin]\nurl = y\n",
	"[core]\n\tbare\n\tworktree = \"/a b\"  # comment\n",
	"[a]\n\tk = one \\\n two\n\tq = \"x ; y\" ; z\n\tt = a\\tb\\nc\\\\d\\\"e\n",
	"[a]\r\n\tk = crlf\r\n",
	"\xef\xbb\xbf[bom]\nk = v\n",
	"; comment\n# another\n[s \"sub\\\\x\\\"y\"]\n\tk-2 = \t spaced   out \t \n",
	"[a]k=v\n[b]  k  =  \"\"  \n",
	"[a]\n\tk = \"unterminated\n",
	"[a]\n\tk = bad\\escape\n",
	"k = v\n",
	"[a b]\n",
	"[a \"b\"x]\n",
	"[]\n",
	"[a]\n\t9k = v\n",
	"[a]\n\tk",
	"[include]\n\tpath = x\n[includeIf \"gitdir:/x/\"]\n\tpath = y\n",
	"[a]\n\tk = v\\",
	"[a]\n\tk = \"a\\\nb\"\n",
	"[a]\n\tk = x\ry\n",
}

// TestParseConfigMatchesGit parses each seed and compares with what
// `git config --list` reads from the same file (or that both refuse it).
func TestParseConfigMatchesGit(t *testing.T) {
	isolateGit(t)
	for i, seed := range configSeeds {
		t.Run(strings.ReplaceAll(seed[:min(len(seed), 24)], "\n", "|"), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config")
			write(t, filepath.Dir(path), "config", seed)
			out, gitErr := exec.Command("git", "config", "--file", path, "--no-includes", "--list", "-z").Output()
			got, err := parseConfig([]byte(seed))
			if (err != nil) != (gitErr != nil) {
				t.Fatalf("seed %d: parseConfig error %v, git's %v", i, err, gitErr)
			}
			if err != nil {
				return
			}
			var want []configEntry
			for _, rec := range splitZ(out) {
				name, value, hasValue := strings.Cut(rec, "\n")
				want = append(want, configEntry{name: name, value: value, noValue: !hasValue})
			}
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(configEntry{})); diff != "" {
				t.Errorf("seed %d (-git +parseConfig):\n%s", i, diff)
			}
		})
	}
}

func TestLastValueAndIncludes(t *testing.T) {
	entries, err := parseConfig([]byte("[remote \"origin\"]\nurl = a\nurl = b\n[remote \"up\"]\nurl = c\n"))
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := lastValue(entries, "remote.origin.url"); v != "b" || !ok {
		t.Errorf("lastValue = %q, %v; want the last, b", v, ok)
	}
	if _, ok := lastValue(entries, "remote.other.url"); ok {
		t.Error("lastValue found a missing name")
	}
	if hasInclude(entries) {
		t.Error("hasInclude without includes")
	}
	inc, _ := parseConfig([]byte("[includeIf \"onbranch:x\"]\npath = y\n"))
	if !hasInclude(inc) {
		t.Error("hasInclude missed includeIf")
	}
}

func FuzzParseConfig(f *testing.F) {
	for _, s := range configSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		entries, err := parseConfig([]byte(data))
		if err != nil {
			return
		}
		for _, e := range entries {
			// Every name ends in a lowercase key.
			key := e.name[strings.LastIndexByte(e.name, '.')+1:]
			if key == "" || !isAlpha(key[0]) {
				t.Fatalf("entry name %q lacks a key", e.name)
			}
			if key != strings.ToLower(key) {
				t.Fatalf("key %q not lowercased", key)
			}
		}
	})
}
