package gitlabci

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// noNetwork fails every request: fuzzed files must not reach out.
type noNetwork struct{}

func (noNetwork) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("no network in tests")
}

// FuzzResolve resolves arbitrary bytes as .gitlab-ci.yml, in a project
// that also holds a plain file and a file with a spec: header to include.
// Resolve must return a document or an error, never panic or hang.
func FuzzResolve(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "resolve", "*", ".gitlab-ci.yml"))
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{
		"include: a.yml\n",
		"include:\n  - local: t.yml\n    inputs: {name: x, list: [a, b]}\n",
		"include: https://example.com/x.yml\n",
		"include:\n  - local: '**.yml'\n",
		"include: {local: a.yml, rules: [{if: '$X == \"y\"'}, {exists: ['*.yml']}, {changes: [a.yml]}]}\n",
		"a: {extends: b}\nb: {extends: a}\n",
		"a: {extends: [b, c]}\nb: {script: [x]}\nc: {variables: {A: b}}\n",
		"a:\n  script: [!reference [b, script], x]\nb:\n  script: !reference [a, script]\n",
		"a: &x {script: [y]}\nb:\n  <<: *x\n  extends: a\n  script: [!reference [a, script]]\n",
		"spec: {inputs: {n: {type: number, default: 1}}}\n---\nj:\n  parallel: $[[ inputs.n ]]\n  script: $[[ inputs.n | truncate(0,1) ]]\n",
		"spec:\n  inputs:\n    s: {default: \"a b\"}\n---\n$[[ inputs.s ]]: {script: echo $[[ inputs.s | posix_escape | expand_vars ]]}\n",
		extendsChain(12),
		referenceChain(12),
	} {
		f.Add([]byte(s))
	}
	client := &http.Client{Transport: noNetwork{}, Timeout: time.Second}
	f.Fuzz(func(t *testing.T, src []byte) {
		dir := writeProject(t, map[string]string{
			"a.yml": ".hidden:\n  script: [echo a]\na-job:\n  extends: .hidden\n",
			"t.yml": "spec:\n  inputs:\n    name: {default: t}\n    list: {type: array, default: []}\n---\n$[[ inputs.name ]]-job:\n  script: $[[ inputs.list ]]\n",
		})
		if err := os.WriteFile(filepath.Join(dir, DefaultFile), src, 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		doc, err := Resolve(ctx, Options{Dir: dir, HTTPClient: client, Vars: mapVars(map[string]string{"X": "y"})})
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("Resolve took %v", d)
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T) is not an *Error", err, err)
			}
			return
		}
		var out bytes.Buffer
		if err := Render(&out, doc); err != nil {
			t.Fatalf("Render: %v", err)
		}
		// What Render writes reads back as the same document.
		back, err := ParseDocument("rendered.yml", out.Bytes())
		if err != nil {
			t.Fatalf("rendered YAML does not parse: %v\n%s", err, out.String())
		}
		var again bytes.Buffer
		if err := Render(&again, back); err != nil {
			t.Fatalf("Render: %v", err)
		}
		if again.String() != out.String() {
			t.Fatalf("render is not stable:\n%s\n---\n%s", out.String(), again.String())
		}
	})
}
