package plan

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/gantry-ci/gantry/internal/pipeline"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func changesRule(compareTo string, paths ...string) pipeline.Rule {
	return pipeline.Rule{Changes: &pipeline.Changes{Paths: paths, CompareTo: compareTo}}
}

func existsRule(globs ...string) pipeline.Rule { return pipeline.Rule{Exists: globs} }

func names(p *Plan) []string {
	out := []string{}
	for _, j := range p.Jobs {
		out = append(out, j.Name)
	}
	return out
}

func TestChanges(t *testing.T) {
	jobs := func() *pipeline.Pipeline {
		return pl(
			mk("always", "test"),
			mk("docs", "test", rules(changesRule("", "docs/**/*", "README.md"))),
			mk("py", "test", rules(changesRule("", "**/*.{py,pyi}"))),
			mk("dot", "test", rules(changesRule("", "*"))),
			mk("var", "test", matrix(pipeline.MatrixEntry{mv("FILE", "foo", "bar")}), rules(changesRule("", "${FILE}"))),
			mk("only-changes", "test", func(j *pipeline.Job) { j.Only = &pipeline.Filter{Changes: []string{"Dockerfile"}} }),
			mk("except-changes", "test", func(j *pipeline.Job) { j.Except = &pipeline.Filter{Changes: []string{"docs/*"}} }),
		)
	}
	all := []string{"always", "docs", "py", "dot", "var: [foo]", "var: [bar]", "only-changes"}
	tests := []struct {
		name    string
		t       Trigger
		changed []string
		want    []string
	}{
		{"unknown changes are true", branch("main"), nil, all},
		{"nothing changed", branch("main"), []string{}, []string{"always", "except-changes"}},
		{"docs", branch("main"), []string{"docs/guide/a.md"}, []string{"always", "docs", "except-changes"}}, // * stays in docs/
		{"docs top", branch("main"), []string{"docs/a.md"}, []string{"always", "docs"}},
		{"deep python", branch("main"), []string{"src/pkg/x.pyi", ".env"}, []string{"always", "py", "dot", "except-changes"}},
		{"matrix variable in path", branch("main"), []string{"foo", "Dockerfile"}, []string{"always", "dot", "var: [foo]", "only-changes", "except-changes"}},
		{"tags always see changes", trig("v1", true, "push"), []string{}, all},
		{"schedules always see changes", trig("main", false, "schedule"), []string{}, all},
		{"merge requests use the list", trig("main", false, "merge_request_event"), []string{"README.md"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := tt.t
			tr.Changed = tt.changed
			p := jobs()
			if tr.Source == "merge_request_event" {
				// Default only: excludes merge requests; give every job rules.
				p = pl(mk("docs", "test", rules(changesRule("", "README.md"))), mk("py", "test", rules(changesRule("", "*.py"))))
				tt.want = []string{"docs"}
			}
			got, err := New(p, tr)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, names(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestChangesCompareTo(t *testing.T) {
	p := pl(mk("job", "test", rules(changesRule("refs/heads/$TARGET", "api/*"))), mk("x", "test"))
	var asked string
	tr := branch("feature", "TARGET=main")
	tr.Changed = []string{} // the push itself changed nothing
	tr.ChangedSince = func(ref string) ([]string, error) {
		asked = ref
		return []string{"api/v1.go"}, nil
	}
	got := mustNew(t, p, tr)
	if asked != "refs/heads/main" || len(got.Jobs) != 2 {
		t.Errorf("asked %q, jobs %v", asked, names(got))
	}
	tr.ChangedSince = func(string) ([]string, error) { return nil, errors.New("unknown revision") }
	if _, err := New(p, tr); err == nil {
		t.Error("want an error for a bad compare_to")
	}
}

func TestExists(t *testing.T) {
	p := pl(
		mk("file", "test", rules(existsRule("exists.file"))),
		mk("dot-slash", "test", rules(existsRule("./exists.file"))),
		mk("dir", "test", rules(existsRule("existsDir/*"))),
		mk("recursive", "test", rules(existsRule("existsDir/**/*"))),
		mk("missing", "test", rules(existsRule("not-exists.file"))),
		mk("missing-dir", "test", rules(existsRule("notExistsDir/**/*"))),
		mk("var", "test", rules(existsRule("${DIR}/recursive.file"))),
		mk("nested-var", "test", rules(existsRule("$NESTED"))),
		mk("empty", "test", rules(existsRule(""))),
		mk("directory-itself", "test", rules(existsRule("existsDir"))),
		mk("with-if", "test", rules(pipeline.Rule{If: `$NOPE`, Exists: []string{"exists.file"}})),
	)
	p.Variables = modelVars("DIR=existsDir/nested", "NESTED=$DIR/recursive.file")
	tr := branch("main")
	tr.Files = []string{".gitlab-ci.yml", "exists.file", "existsDir/.gitkeep", "existsDir/nested/.gitkeep", "existsDir/nested/recursive.file"}
	got := mustNew(t, p, tr)
	// GitLab expands one level only: $NESTED stays "$DIR/recursive.file";
	// ./ is not special, so ./exists.file names no file.
	want := []string{"file", "dir", "recursive", "var"}
	if diff := cmp.Diff(want, names(got)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestExistsGlobs checks rules:exists globs one by one against a
// repository, with GitLab's semantics (Clause::Exists over ls-files).
func TestExistsGlobs(t *testing.T) {
	files := []string{".env", ".gitlab-ci.yml", "Dockerfile", "docs/guide/deep/a.md", "docs/index.md", "src/.hidden/x.py"}
	tests := []struct {
		name  string
		globs []string
		files []string
		want  bool
	}{
		{"docs/** is one level", []string{"docs/**"}, files, true},
		{"docs/** not nested", []string{"docs/**"}, []string{"docs/guide/a.md"}, false},
		{"docs/**/* nested", []string{"docs/**/*"}, []string{"docs/guide/a.md"}, true},
		{"dotfile by *", []string{"*"}, []string{".env"}, true},
		{"hidden directory by **", []string{"**/x.py"}, files, true},
		{"braces", []string{"{Makefile,Dockerfile}"}, files, true},
		{"braces none", []string{"{Makefile,Rakefile}"}, files, false},
		{"leading slash", []string{"/Dockerfile"}, files, false},
		{"leading slash glob", []string{"/Docker*"}, files, false},
		{"top-level glob sees top-level files only", []string{"*.md"}, files, false},
		{"extension glob", []string{"**/*.md"}, files, true},
		{"past the comparison limit", []string{"x/*"}, manyFiles(10_001), true},
		{"at the comparison limit", []string{"x/*"}, manyFiles(10_000), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := branch("main")
			tr.Files = tc.files
			got := names(mustNew(t, pl(mk("always", "test"), mk("job", "test", rules(existsRule(tc.globs...)))), tr))
			if slices.Contains(got, "job") != tc.want {
				t.Errorf("exists %q: jobs %v, want match %v", tc.globs, got, tc.want)
			}
		})
	}
}

// TestChangesGlobs checks rules:changes globs one by one against a push's
// changed files, with Ruby's fnmatch as GitLab's Clause::Changes.
func TestChangesGlobs(t *testing.T) {
	tests := []struct {
		name    string
		globs   []string
		changed []string
		want    bool
	}{
		{"docs/** is one level", []string{"docs/**"}, []string{"docs/a.md"}, true},
		{"docs/** not nested", []string{"docs/**"}, []string{"docs/guide/a.md"}, false},
		{"docs/**/* nested", []string{"docs/**/*"}, []string{"docs/guide/a.md"}, true},
		{"dotfile", []string{"*"}, []string{".env"}, true},
		{"braces", []string{"*.{yml,yaml}"}, []string{"a.yaml"}, true},
		{"leading slash", []string{"/README.md"}, []string{"README.md"}, false},
		{"past the comparison limit", []string{"x/*"}, manyFiles(50_001), true},
		{"at the comparison limit", []string{"x/*"}, manyFiles(50_000), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := branch("main")
			tr.Changed = tc.changed
			got := names(mustNew(t, pl(mk("always", "test"), mk("job", "test", rules(changesRule("", tc.globs...)))), tr))
			if slices.Contains(got, "job") != tc.want {
				t.Errorf("changes %q: jobs %v, want match %v", tc.globs, got, tc.want)
			}
		})
	}
}

func manyFiles(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("dir/f%05d", i)
	}
	return out
}

// TestChangesNestedVariables checks that rules:changes sees variables
// whose values refer to others expanded (GitLab's variables_hash_expanded)
// while rules:exists sees them as written.
func TestChangesNestedVariables(t *testing.T) {
	p := pl(
		mk("always", "test"),
		mk("changes", "test", jobVars("DIR=$ROOT/docs"), rules(changesRule("", "$DIR/*"))),
		mk("exists", "test", jobVars("DIR=$ROOT/docs"), rules(existsRule("$DIR/a.md"))),
		mk("exists-plain", "test", rules(existsRule("$ROOT/docs/a.md"))),
	)
	p.Variables = modelVars("ROOT=site")
	tr := branch("main")
	tr.Changed = []string{"site/docs/a.md"}
	tr.Files = []string{"site/docs/a.md"}
	if diff := cmp.Diff([]string{"always", "changes", "exists-plain"}, names(mustNew(t, p, tr))); diff != "" {
		t.Errorf("jobs (-want +got):\n%s", diff)
	}
}

// TestOnlyExceptChanges checks only:changes and except:changes against
// rules:changes where GitLab's Policy::Changes and Clause::Changes part:
// the policy expands no variable and has no comparison limit; both match
// with Ruby's File.fnmatch? (** is recursive only before a /, ./ is not
// special).
func TestOnlyExceptChanges(t *testing.T) {
	many := make([]string, 50_001)
	for i := range many {
		many[i] = fmt.Sprintf("src/f%d.go", i)
	}
	tests := []struct {
		name    string
		globs   []string
		changed []string
		// only, except and rules are whether the job exists with the
		// globs in only:changes, except:changes and rules:changes.
		only, except, rules bool
	}{
		{"plain path", []string{"Dockerfile"}, []string{"Dockerfile"}, true, false, true},
		{"no match", []string{"Dockerfile"}, []string{"README.md"}, false, true, false},
		{"variable expanded by rules only", []string{"$DIR/*"}, []string{"site/a.md"}, false, true, true},
		{"braced variable expanded by rules only", []string{"${DIR}/a.md"}, []string{"site/a.md"}, false, true, true},
		{"dollar taken literally by the policy", []string{"$DIR/*"}, []string{"$DIR/a.md"}, true, false, false},
		{"trailing ** is one level", []string{"docs/**"}, []string{"docs/guide/a.md"}, false, true, false},
		{"trailing ** at the top of docs", []string{"docs/**"}, []string{"docs/a.md"}, true, false, true},
		{"**/ crosses directories", []string{"docs/**/*.md"}, []string{"docs/a/b/c.md"}, true, false, true},
		{"dot files", []string{"*"}, []string{".gitlab-ci.yml"}, true, false, true},
		{"braces", []string{"*.{yml,yaml}"}, []string{"x.yaml"}, true, false, true},
		{"./ is not special", []string{"./Dockerfile"}, []string{"Dockerfile"}, false, true, false},
		{"nothing changed", []string{"*"}, []string{}, false, true, false},
		{"unknown changes", []string{"nope"}, nil, true, false, true},
		// 50,001 paths times one glob: rules:changes gives up and holds.
		{"comparison limit is rules' only", []string{"docs/*"}, many, false, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := pl(
				mk("only", "test", func(j *pipeline.Job) { j.Only = &pipeline.Filter{Changes: tt.globs} }),
				mk("except", "test", func(j *pipeline.Job) { j.Except = &pipeline.Filter{Changes: tt.globs} }),
				mk("rules", "test", rules(changesRule("", tt.globs...))),
			)
			p.Variables = modelVars("DIR=site")
			tr := branch("main")
			tr.Changed = tt.changed
			var want []string
			for name, ok := range map[string]bool{"only": tt.only, "except": tt.except, "rules": tt.rules} {
				if ok {
					want = append(want, name)
				}
			}
			slices.Sort(want)
			got := names(mustNew(t, p, tr))
			slices.Sort(got)
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("jobs (-want +got):\n%s", diff)
			}
		})
	}
}
