package gitlabci

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chain writes n hidden jobs, each extending the next: .l1 -> .l2 -> ... -> .ln.
func extendsChain(n int) string {
	var b strings.Builder
	b.WriteString("job:\n  extends: .l1\n  script: [x]\n")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, ".l%d:\n  extends: .l%d\n", i, i+1)
	}
	fmt.Fprintf(&b, ".l%d:\n  image: alpine\n", n)
	return b.String()
}

// referenceChain writes n hidden entries, each a !reference to the next.
func referenceChain(n int) string {
	var b strings.Builder
	b.WriteString("job:\n  script: !reference [.r1, v]\n")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, ".r%d:\n  v: !reference [.r%d, v]\n", i, i+1)
	}
	fmt.Fprintf(&b, ".r%d:\n  v: [echo]\n", n)
	return b.String()
}

// nestedScripts writes .s1 as a list and each .sN as a list holding a
// !reference to .s(N-1); job's script holds .sn, so GitLab sees its
// script nested n+1 lists deep.
func nestedScripts(n int) string {
	var b strings.Builder
	b.WriteString(".s1:\n  - echo deep\n")
	for i := 2; i <= n; i++ {
		fmt.Fprintf(&b, ".s%d:\n  - !reference [.s%d]\n", i, i-1)
	}
	fmt.Fprintf(&b, "job:\n  script:\n    - !reference [.s%d]\n", n)
	return b.String()
}

func manyIncludes(n int) string {
	var b strings.Builder
	b.WriteString("include:\n")
	for range n {
		b.WriteString("  - local: t.yml\n")
	}
	return b.String()
}

func TestResolveErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok.yml":
			fmt.Fprint(w, "remote-job:\n  script: echo\n")
		case "/slow.yml":
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		case "/big.yml":
			chunk := strings.Repeat("# padding\n", 1024)
			for range (MaxFileSize / len(chunk)) + 2 {
				if _, err := fmt.Fprint(w, chunk); err != nil {
					return
				}
			}
		case "/bad.yml":
			fmt.Fprint(w, "job: [unclosed\n")
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	client := &http.Client{Timeout: 200 * time.Millisecond}

	tests := []struct {
		name  string
		files map[string]string
		opts  Options
		pos   string // want file:line:col (or file) of the error
		msg   string // want substring of the message
	}{
		{
			name:  "include cycle",
			files: map[string]string{".gitlab-ci.yml": "include: a.yml\n", "a.yml": "include: b.yml\n", "b.yml": "x: {script: y}\ninclude: [a.yml]\n"},
			pos:   "b.yml:2:11", msg: "include cycle: a.yml -> b.yml -> a.yml",
		},
		{
			name:  "self include",
			files: map[string]string{".gitlab-ci.yml": "include: .gitlab-ci.yml\n"},
			pos:   ".gitlab-ci.yml:1:10", msg: "include cycle: .gitlab-ci.yml -> .gitlab-ci.yml",
		},
		{
			name:  "too many includes",
			files: map[string]string{".gitlab-ci.yml": manyIncludes(151), "t.yml": "t: {script: x}\n"},
			pos:   ".gitlab-ci.yml:152:12", msg: "more than 150 included files",
		},
		{
			name:  "too many nested includes",
			files: map[string]string{".gitlab-ci.yml": manyIncludes(3), "t.yml": "include: u.yml\n", "u.yml": "u: {script: x}\n"},
			opts:  Options{MaxIncludes: 5},
			pos:   "t.yml:1:10", msg: "more than 5 included files",
		},
		{
			name:  "missing local",
			files: map[string]string{".gitlab-ci.yml": "include:\n  - local: ci/nope.yml\n"},
			pos:   ".gitlab-ci.yml:2:12", msg: "file ci/nope.yml does not exist",
		},
		{
			name:  "escaping path",
			files: map[string]string{".gitlab-ci.yml": "include: ../outside.yml\n"},
			pos:   ".gitlab-ci.yml:1:10", msg: "outside the project directory",
		},
		{
			name:  "not yaml",
			files: map[string]string{".gitlab-ci.yml": "include: ci/build.sh\n"},
			pos:   ".gitlab-ci.yml:1:10", msg: "does not have a YAML extension",
		},
		{
			name:  "glob without match",
			files: map[string]string{".gitlab-ci.yml": "include: 'ci/*.yml'\n"},
			pos:   ".gitlab-ci.yml:1:10", msg: "no file matches ci/*.yml",
		},
		{
			name:  "empty include",
			files: map[string]string{".gitlab-ci.yml": "include: e.yml\n", "e.yml": "# nothing\n"},
			pos:   ".gitlab-ci.yml:1:10", msg: "included file e.yml is empty",
		},
		{
			name:  "yaml error in included file",
			files: map[string]string{".gitlab-ci.yml": "include: e.yml\n", "e.yml": "a:\n  b: [1\n"},
			pos:   "e.yml:", msg: "invalid YAML",
		},
		{
			name:  "include project",
			files: map[string]string{".gitlab-ci.yml": "include:\n  - project: group/tools\n    file: ci.yml\n"},
			pos:   ".gitlab-ci.yml:2:14", msg: "include:project is not available without a GitLab instance",
		},
		{
			name:  "include template",
			files: map[string]string{".gitlab-ci.yml": "include:\n  - template: Auto-DevOps.gitlab-ci.yml\n"},
			pos:   ".gitlab-ci.yml:2:15", msg: "include:template is not available",
		},
		{
			name:  "include component",
			files: map[string]string{".gitlab-ci.yml": "include:\n  - component: gitlab.com/x/y/z@1.0\n"},
			pos:   ".gitlab-ci.yml:2:16", msg: "include:component is not available",
		},
		{
			name:  "unknown include key",
			files: map[string]string{".gitlab-ci.yml": "include:\n  - locl: a.yml\n"},
			pos:   ".gitlab-ci.yml:2:5", msg: `unknown include key "locl"`,
		},
		{
			name:  "bad rules if",
			files: map[string]string{".gitlab-ci.yml": "include:\n  - local: a.yml\n    rules:\n      - if: $A ==\n"},
			pos:   ".gitlab-ci.yml:4:13", msg: "rules:if",
		},
		{
			name:  "rules exists in another project",
			files: map[string]string{".gitlab-ci.yml": "include:\n  - local: a.yml\n    rules:\n      - exists: {paths: [a.yml], project: g/p}\n"},
			pos:   ".gitlab-ci.yml:4:34", msg: "rules:exists:project is not available",
		},
		{
			name:  "remote 404",
			files: map[string]string{".gitlab-ci.yml": "include: " + srv.URL + "/missing.yml\n"},
			opts:  Options{HTTPClient: client},
			pos:   ".gitlab-ci.yml:1:10", msg: "HTTP 404",
		},
		{
			name:  "remote timeout",
			files: map[string]string{".gitlab-ci.yml": "include:\n  - remote: " + srv.URL + "/slow.yml\n"},
			opts:  Options{HTTPClient: client},
			pos:   ".gitlab-ci.yml:2:13", msg: "timed out after 200ms",
		},
		{
			name:  "remote too big",
			files: map[string]string{".gitlab-ci.yml": "include:\n  - remote: " + srv.URL + "/big.yml\n"},
			opts:  Options{HTTPClient: client},
			pos:   ".gitlab-ci.yml:2:13", msg: "larger than 2.0 MiB",
		},
		{
			name:  "remote bad yaml",
			files: map[string]string{".gitlab-ci.yml": "include:\n  - remote: " + srv.URL + "/bad.yml\n"},
			opts:  Options{HTTPClient: client},
			pos:   srv.URL + "/bad.yml:", msg: "invalid YAML",
		},
		{
			name:  "remote integrity",
			files: map[string]string{".gitlab-ci.yml": "include:\n  - remote: " + srv.URL + "/ok.yml\n    integrity: sha256-" + strings.Repeat("A", 43) + "=\n"},
			opts:  Options{HTTPClient: client},
			pos:   ".gitlab-ci.yml:3:16", msg: "does not match its integrity hash",
		},
		{
			name:  "remote not http",
			files: map[string]string{".gitlab-ci.yml": "include:\n  - remote: ftp://example.com/a.yml\n"},
			pos:   ".gitlab-ci.yml:2:13", msg: "not an HTTP(S) URL",
		},
		{
			name:  "extends cycle",
			files: map[string]string{".gitlab-ci.yml": ".a:\n  extends: .b\n.b:\n  extends: .c\n.c:\n  extends: .a\n"},
			pos:   ".gitlab-ci.yml:6:12", msg: "circular dependency in extends: .a -> .b -> .c -> .a",
		},
		{
			name:  "extends itself",
			files: map[string]string{".gitlab-ci.yml": "job:\n  extends: [job]\n"},
			pos:   ".gitlab-ci.yml:2:13", msg: "circular dependency in extends: job -> job",
		},
		{
			name:  "extends unknown",
			files: map[string]string{".gitlab-ci.yml": ".base: {image: a}\njob:\n  extends: [.bsae]\n  script: x\n"},
			pos:   ".gitlab-ci.yml:3:13", msg: `job extends ".bsae", which is not defined (did you mean .base?)`,
		},
		{
			name:  "extends too deep",
			files: map[string]string{".gitlab-ci.yml": extendsChain(11)},
			pos:   ".gitlab-ci.yml:2:12", msg: "extends nests deeper than 11 levels",
		},
		{
			name:  "extends a list",
			files: map[string]string{".gitlab-ci.yml": "vars: [a]\njob:\n  extends: vars\n"},
			pos:   ".gitlab-ci.yml:3:12", msg: "which is a list, not a job",
		},
		{
			name:  "extends a map",
			files: map[string]string{".gitlab-ci.yml": "job:\n  extends: {a: b}\n"},
			pos:   ".gitlab-ci.yml:2:12", msg: "extends must be a job name",
		},
		{
			name:  "reference missing job",
			files: map[string]string{".gitlab-ci.yml": ".setup: {script: [a]}\njob:\n  script: !reference [.stup, script]\n"},
			pos:   ".gitlab-ci.yml:3:11", msg: "!reference [.stup, script] could not be found",
		},
		{
			name:  "reference missing key",
			files: map[string]string{".gitlab-ci.yml": ".setup: {script: [a]}\njob:\n  script:\n    - !reference [.setup, before_script]\n"},
			pos:   ".gitlab-ci.yml:4:7", msg: `.setup has no key "before_script"`,
		},
		{
			name:  "reference cycle",
			files: map[string]string{".gitlab-ci.yml": "a:\n  script: !reference [b, script]\nb:\n  script: [x, !reference [a, script]]\n"},
			pos:   ".gitlab-ci.yml:", msg: "is part of a circular chain",
		},
		{
			name:  "reference to itself",
			files: map[string]string{".gitlab-ci.yml": "a:\n  script:\n    - echo\n    - !reference [a, script]\n"},
			pos:   ".gitlab-ci.yml:4:7", msg: "!reference [a, script] is part of a circular chain",
		},
		{
			name:  "reference too deep",
			files: map[string]string{".gitlab-ci.yml": referenceChain(11)},
			pos:   ".gitlab-ci.yml:", msg: "references nest deeper than 10 levels",
		},
		{
			name:  "references nest a script 11 lists deep",
			files: map[string]string{".gitlab-ci.yml": nestedScripts(10)},
			pos:   ".gitlab-ci.yml:23:7", msg: "nested more than 10 levels deep",
		},
		{
			name:  "reference into a list",
			files: map[string]string{".gitlab-ci.yml": "a:\n  script: [x]\nb:\n  script: !reference [a, script, 0]\n"},
			pos:   ".gitlab-ci.yml:4:11", msg: "a.script is a list, not a map",
		},
		{
			name:  "empty reference",
			files: map[string]string{".gitlab-ci.yml": "a:\n  script: !reference []\n"},
			pos:   ".gitlab-ci.yml:2:11", msg: "!reference needs a job name",
		},
		{
			name:  "required input",
			files: map[string]string{".gitlab-ci.yml": "include:\n  - local: t.yml\n", "t.yml": "spec:\n  inputs:\n    stage:\n---\nj:\n  stage: $[[ inputs.stage ]]\n"},
			pos:   ".gitlab-ci.yml:2:12", msg: "`stage` input: required value has not been provided",
		},
		{
			name:  "unknown input",
			files: map[string]string{".gitlab-ci.yml": "include:\n  - local: t.yml\n    inputs:\n      stag: x\n", "t.yml": "spec:\n  inputs:\n    stage: {default: test}\n---\nj:\n  stage: $[[ inputs.stage ]]\n"},
			pos:   ".gitlab-ci.yml:4:13", msg: "unknown input stag (t.yml declares stage)",
		},
		{
			name:  "input type",
			files: map[string]string{".gitlab-ci.yml": "include:\n  - local: t.yml\n    inputs:\n      n: \"1\"\n", "t.yml": "spec:\n  inputs:\n    n: {type: number}\n---\nj:\n  parallel: $[[ inputs.n ]]\n"},
			pos:   ".gitlab-ci.yml:4:10", msg: "`n` input: provided value is not a number",
		},
		{
			name:  "string input given a number",
			files: map[string]string{".gitlab-ci.yml": "include:\n  - local: t.yml\n    inputs:\n      s: 1\n", "t.yml": "spec:\n  inputs:\n    s:\n---\nj:\n  script: $[[ inputs.s ]]\n"},
			pos:   ".gitlab-ci.yml:4:10", msg: "`s` input: provided value is not a string",
		},
		{
			name:  "input option",
			files: map[string]string{".gitlab-ci.yml": "include:\n  - local: t.yml\n    inputs:\n      env: dev\n", "t.yml": "spec:\n  inputs:\n    env: {options: [staging, prod]}\n---\nj:\n  script: $[[ inputs.env ]]\n"},
			pos:   ".gitlab-ci.yml:4:12", msg: "`dev` cannot be used because it is not in the list of allowed options",
		},
		{
			name:  "input regex",
			files: map[string]string{".gitlab-ci.yml": "include:\n  - local: t.yml\n    inputs:\n      v: \"1.0\"\n", "t.yml": "spec:\n  inputs:\n    v: {regex: '^v\\d+'}\n---\nj:\n  script: $[[ inputs.v ]]\n"},
			pos:   ".gitlab-ci.yml:4:10", msg: "provided value does not match required RegEx pattern",
		},
		{
			name:  "bad default",
			files: map[string]string{".gitlab-ci.yml": "include: t.yml\n", "t.yml": "spec:\n  inputs:\n    b: {type: boolean, default: maybe}\n---\nj: {script: x}\n"},
			pos:   "t.yml:3:33", msg: "`b` input: default value is not a boolean",
		},
		{
			name:  "unknown input type",
			files: map[string]string{".gitlab-ci.yml": "include: t.yml\n", "t.yml": "spec:\n  inputs:\n    b: {type: foo}\n---\nj: {script: x}\n"},
			pos:   "t.yml:3:15", msg: `unknown input type "foo"`,
		},
		{
			name:  "unknown interpolation key",
			files: map[string]string{".gitlab-ci.yml": "include: t.yml\n", "t.yml": "spec: {}\n---\nj:\n  script: echo $[[ inputs.foo ]]\n"},
			pos:   "t.yml:4:11", msg: "unknown interpolation key: `foo`",
		},
		{
			name:  "too many functions",
			files: map[string]string{".gitlab-ci.yml": "include: t.yml\n", "t.yml": "spec: {inputs: {foo: {default: x}}}\n---\nj:\n  script: echo $[[ inputs.foo | expand_vars | expand_vars | expand_vars | expand_vars ]]\n"},
			pos:   "t.yml:4:11", msg: "too many functions in interpolation block",
		},
		{
			name:  "unknown function",
			files: map[string]string{".gitlab-ci.yml": "include: t.yml\n", "t.yml": "spec: {inputs: {foo: {default: x}}}\n---\nj:\n  script: echo $[[ inputs.foo | upcase ]]\n"},
			pos:   "t.yml:4:11", msg: "no function matching `upcase`",
		},
		{
			name:  "function on a number",
			files: map[string]string{".gitlab-ci.yml": "include: t.yml\n", "t.yml": "spec: {inputs: {n: {type: number, default: 1}}}\n---\nj:\n  script: echo $[[ inputs.n | truncate(0,1) ]]\n"},
			pos:   "t.yml:4:11", msg: "truncate can only be used with string inputs",
		},
		{
			name:  "inputs without spec",
			files: map[string]string{".gitlab-ci.yml": "include:\n  - local: t.yml\n    inputs: {a: b}\n", "t.yml": "j: {script: x}\n"},
			pos:   ".gitlab-ci.yml:2:12", msg: "inputs given to t.yml, which declares none",
		},
		{
			name:  "duplicate key after interpolation",
			files: map[string]string{".gitlab-ci.yml": "spec: {inputs: {a: {default: x}}}\n---\njob-x: {script: a}\njob-$[[ inputs.a ]]: {script: b}\n"},
			pos:   ".gitlab-ci.yml:4:1", msg: `key "job-x" is defined twice`,
		},
		{
			name:  "three documents",
			files: map[string]string{".gitlab-ci.yml": "spec: {}\n---\na: {script: x}\n---\nb: {script: x}\n"},
			pos:   ".gitlab-ci.yml:5:1", msg: "file has 3 YAML documents",
		},
		{
			name:  "header without spec",
			files: map[string]string{".gitlab-ci.yml": "a: {script: x}\n---\nb: {script: x}\n"},
			pos:   ".gitlab-ci.yml:3:1", msg: "the first is not a spec: header",
		},
		{
			name:  "empty main file",
			files: map[string]string{".gitlab-ci.yml": "# nothing yet\n"},
			pos:   ".gitlab-ci.yml:1:1", msg: ".gitlab-ci.yml is empty",
		},
		{
			name:  "main file is a list",
			files: map[string]string{".gitlab-ci.yml": "- a\n- b\n"},
			pos:   ".gitlab-ci.yml:1:1", msg: ".gitlab-ci.yml must be a map, not a list",
		},
		{
			name:  "missing main file",
			files: map[string]string{"other.yml": "a: b\n"},
			pos:   ".gitlab-ci.yml", msg: "file .gitlab-ci.yml does not exist",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			doc, err := resolveFiles(t, tt.files, tt.opts)
			if d := time.Since(start); d > 5*time.Second { // a hang guard, generous for a loaded CI machine
				t.Errorf("took %v", d)
			}
			if err == nil {
				t.Fatalf("no error; resolved to:\n%s", render(t, doc))
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %q (%T) is not an *Error", err, err)
			}
			if !strings.HasPrefix(e.Pos.String(), tt.pos) {
				t.Errorf("position %s, want %s (error: %v)", e.Pos, tt.pos, err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not contain %q", err, tt.msg)
			}
		})
	}
}

func TestResolveSymlinkEscape(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.yml"), []byte("stolen: {script: x}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := writeProject(t, map[string]string{".gitlab-ci.yml": "include: link.yml\n"})
	if err := os.Symlink(filepath.Join(outside, "secret.yml"), filepath.Join(dir, "link.yml")); err != nil {
		t.Fatal(err)
	}
	_, err := Resolve(context.Background(), Options{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "outside the project directory") {
		t.Errorf("err = %v, want a refusal to leave the project", err)
	}
}

func TestResolveLimitsAtTheEdge(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
	}{
		{"150 includes", map[string]string{".gitlab-ci.yml": manyIncludes(150), "t.yml": "t: {script: x}\n"}},
		{"11 levels of extends", map[string]string{".gitlab-ci.yml": extendsChain(10)}},
		{"10 levels of references", map[string]string{".gitlab-ci.yml": referenceChain(10)}},
		{"a script 10 lists deep through references", map[string]string{".gitlab-ci.yml": nestedScripts(9)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := resolveFiles(t, tt.files, Options{}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestResolveRemote(t *testing.T) {
	const tmpl = "spec:\n  inputs:\n    name:\n---\n$[[ inputs.name ]]-job:\n  script: echo\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/base.yml":
			fmt.Fprint(w, "include: ci/local.yml\n.remote-base:\n  image: alpine\n")
		case "/tmpl.yml":
			fmt.Fprint(w, tmpl)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	sum := sha256.Sum256([]byte(tmpl))
	integrity := "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
	doc, err := resolveFiles(t, map[string]string{
		".gitlab-ci.yml": "include:\n  - " + srv.URL + "/base.yml\n  - remote: " + srv.URL + "/tmpl.yml\n    integrity: " + integrity + "\n    inputs: {name: gen}\njob:\n  extends: .remote-base\n  script: make\n",
		"ci/local.yml":   "local-job:\n  script: echo local\n",
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := "local-job:\n  script: echo local\n.remote-base:\n  image: alpine\ngen-job:\n  script: echo\njob:\n  image: alpine\n  script: make\n"
	if got := render(t, doc); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if p := doc.Get("job").Get("image").Pos.File; p != srv.URL+"/base.yml" {
		t.Errorf("inherited image comes from %q, want the remote URL", p)
	}
}

func TestResolveCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := writeProject(t, map[string]string{".gitlab-ci.yml": "a: {script: x}\n"})
	if _, err := Resolve(ctx, Options{Dir: dir}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
