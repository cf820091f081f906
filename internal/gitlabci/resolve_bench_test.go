package gitlabci

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// largePipeline is a pipeline of jobs jobs using anchors, merge keys,
// multi-level extends with several parents, and !reference.
func largePipeline(jobs int) string {
	var b strings.Builder
	b.WriteString(`stages: [build, test, deploy]
variables:
  GLOBAL: "1"
.common: &common
  interruptible: true
  retry: {max: 2, when: [runner_system_failure]}
.base:
  image: alpine:3.20
  variables: {LEVEL: base, A: "1"}
  before_script: [echo base]
  cache: {key: base, paths: [.cache]}
.l1:
  extends: .base
  tags: [linux]
  variables: {LEVEL: l1}
.l2:
  extends: .l1
  variables: {LEVEL: l2, B: "2"}
  after_script: [echo done]
.docker:
  services: [docker:dind]
  variables: {DOCKER_HOST: "tcp://docker:2375"}
`)
	for g := range 20 {
		fmt.Fprintf(&b, ".group-%d:\n  extends: .l2\n  stage: %s\n  variables: {GROUP: \"%d\"}\n", g, []string{"build", "test", "deploy"}[g%3], g)
	}
	for i := range jobs {
		fmt.Fprintf(&b, "job-%d:\n  <<: *common\n  extends: [.group-%d, .docker]\n  variables:\n    I: \"%d\"\n  script:\n    - !reference [.base, before_script]\n    - echo job %d\n", i, i%20, i, i)
	}
	return b.String()
}

func BenchmarkResolveLarge(b *testing.B) {
	dir := b.TempDir()
	src := largePipeline(2000)
	if err := os.WriteFile(filepath.Join(dir, DefaultFile), []byte(src), 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Resolve(context.Background(), Options{Dir: dir}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestResolveLarge(t *testing.T) {
	doc, err := resolveFiles(t, map[string]string{DefaultFile: largePipeline(200)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	job := doc.Get("job-123")
	if got := job.Get("variables").Get("LEVEL").Value; got != "l2" {
		t.Errorf("LEVEL = %q, want l2 (from .l2 through .group-3)", got)
	}
	if got := job.Get("variables").Get("DOCKER_HOST"); got == nil {
		t.Error("DOCKER_HOST from the second parent is missing")
	}
	if got := job.Get("interruptible"); got == nil || got.Value != "true" {
		t.Error("interruptible from the merge key is missing")
	}
	script := job.Get("script")
	if len(script.Items) != 2 || script.Items[0].Value != "echo base" {
		t.Errorf("script = %s", render(t, script))
	}
}
