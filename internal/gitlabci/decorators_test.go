package gitlabci

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gantry-ci/gantry/internal/pipeline"
	"github.com/google/go-cmp/cmp"
)

// decorated resolves and decodes files (the first is the pipeline file)
// and returns each job's decorators, jobs without any left out.
func decorated(t *testing.T, files map[string]string) map[string]pipeline.Decorators {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	doc, err := Resolve(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Decode(doc)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]pipeline.Decorators{}
	for _, j := range p.Jobs {
		if j.Decorators != (pipeline.Decorators{}) {
			out[j.Name] = j.Decorators
		}
	}
	return out
}

func at(line, col int) pipeline.Pos {
	return pipeline.Pos{File: ".gitlab-ci.yml", Line: line, Col: col}
}

func TestDecorators(t *testing.T) {
	const script = "  script: [echo]\n"
	tests := []struct {
		name  string
		files map[string]string
		want  map[string]pipeline.Decorators
	}{
		{"directly above", map[string]string{".gitlab-ci.yml": "# @Interactive\nj:\n  when: manual\n" + script},
			map[string]pipeline.Decorators{"j": {Interactive: true, InteractivePos: at(1, 1)}}},
		{"separated by a blank line and a comment", map[string]string{".gitlab-ci.yml": "# @Interactive\n\n# plain comment\n\nj:\n" + script},
			map[string]pipeline.Decorators{"j": {Interactive: true, InteractivePos: at(1, 1)}}},
		{"several, spacing and case as gitlab-ci-local allows", map[string]string{".gitlab-ci.yml": "#@interactive\n  # @Description   Deploys the app: fast  \n# @ injectSSHAgent\n# @noartifactstosource\nj:\n" + script},
			map[string]pipeline.Decorators{"j": {Interactive: true, InteractivePos: at(1, 1), Description: "Deploys the app: fast",
				InjectSSHAgent: true, NoArtifactsToSource: true}}},
		{"on the key's line", map[string]string{".gitlab-ci.yml": "j: # @Description on the line\n" + script},
			map[string]pipeline.Decorators{"j": {Description: "on the line"}}},
		{"the next key takes them, not the one after", map[string]string{".gitlab-ci.yml": "# @Description first\na:\n" + script + "b:\n" + script},
			map[string]pipeline.Decorators{"a": {Description: "first"}}},
		{"first of a kind wins", map[string]string{".gitlab-ci.yml": "# @Description one\n# @Description two\nj:\n" + script},
			map[string]pipeline.Decorators{"j": {Description: "one"}}},
		{"a nested key swallows them", map[string]string{".gitlab-ci.yml": "a:\n  # @Interactive\n" + script + "b:\n" + script},
			map[string]pipeline.Decorators{}},
		{"a global keyword drops them", map[string]string{".gitlab-ci.yml": "# @Interactive\nvariables:\n  A: b\nj:\n" + script},
			map[string]pipeline.Decorators{}},
		{"unknown decorators are comments", map[string]string{".gitlab-ci.yml": "# @Timeout 5m\n# @Interactivity\n#  @Interactive\nj:\n" + script},
			map[string]pipeline.Decorators{}},
		{"not in a string", map[string]string{".gitlab-ci.yml": "a:\n  script: ['echo \"#@Interactive\"']\nb:\n" + script},
			map[string]pipeline.Decorators{}},
		{"an empty description is none", map[string]string{".gitlab-ci.yml": "# @Description \nj:\n" + script},
			map[string]pipeline.Decorators{}},
		{"extends carries a hidden job's", map[string]string{".gitlab-ci.yml": "# @Description base\n# @InjectSSHAgent\n.base:\n  image: alpine\n# @Description own\nj:\n  extends: .base\n" + script},
			map[string]pipeline.Decorators{"j": {Description: "own", InjectSSHAgent: true}}},
		{"merge keys carry an anchor's", map[string]string{".gitlab-ci.yml": "# @Interactive\n.base: &base\n  when: manual\nj:\n  <<: *base\n" + script},
			map[string]pipeline.Decorators{"j": {Interactive: true, InteractivePos: at(1, 1)}}},
		{"an included file's", map[string]string{".gitlab-ci.yml": "include: inc.yml\nj:\n  stage: test\n", "inc.yml": "# @Description from inc\nj:\n" + script},
			map[string]pipeline.Decorators{"j": {Description: "from inc"}}},
		{"CRLF line ends", map[string]string{".gitlab-ci.yml": "# @Description crlf\r\nj:\r\n" + strings.ReplaceAll(script, "\n", "\r\n")},
			map[string]pipeline.Decorators{"j": {Description: "crlf"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decorated(t, tt.files)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("decorators (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecoratorsNotRendered(t *testing.T) {
	doc, err := ParseDocument("x.yml", []byte("# @Interactive\nj:\n  script: [echo]\n"))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Render(&b, doc); err != nil {
		t.Fatal(err)
	}
	if want := "j:\n  script:\n    - echo\n"; b.String() != want {
		t.Errorf("rendered %q, want %q", b.String(), want)
	}
}

func FuzzScanDecorators(f *testing.F) {
	for _, s := range []string{
		"# @Interactive\nj:\n  script: [a]\n",
		"#@description x: y\r\n\n a: # @NoArtifactsToSource\n",
		"# @Description\n# @InjectSSHAgent\n.b: &b {}\nj: {<<: *b}\n",
		"@",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		d := scanDecorators("x.yml", []byte(src))
		if d == nil {
			return
		}
		lines := strings.Count(src, "\n") + 1
		for line, pairs := range d.lines {
			if line < 1 || line > lines || len(pairs) == 0 || len(pairs) > 4 {
				t.Fatalf("line %d of %d holds %d decorators", line, lines, len(pairs))
			}
		}
		// Whatever the comments say, parsing must not fail because of them.
		if _, err := ParseDocuments("x.yml", []byte(src)); err != nil {
			return
		}
	})
}
