// Command genpipeline writes a large, real-world-shaped .gitlab-ci.yml to
// stdout: N jobs (default 2000) over 5 stages, using multi-level extends,
// anchors and merge keys, !reference, rules and needs, so that the
// frontend's every resolving step is exercised at scale.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
)

func main() {
	n := flag.Int("jobs", 2000, "number of jobs")
	flag.Parse()
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	stages := []string{"lint", "test", "build", "deploy", "verify"}
	fmt.Fprintln(w, "stages: [lint, test, build, deploy, verify]")
	fmt.Fprintln(w, `variables:
  DJANGO_SETTINGS_MODULE: config.settings.test
  REGISTRY: registry.example.com/gardel

default:
  retry: 1
  before_script:
    - echo "default before"

.vars: &vars
  APP: gardel
  TIER: backend

.rules-mr: &rules-mr
  - if: $CI_PIPELINE_SOURCE == "merge_request_event"
  - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
  - if: $CI_COMMIT_BRANCH =~ /^release\/.*/

.base:
  image: python:3.12
  variables:
    <<: *vars
  cache:
    key: pip-$CI_COMMIT_REF_SLUG
    paths: [.cache/pip]
  script:
    - echo base

.python:
  extends: .base
  before_script:
    - pip install -r requirements-dev.txt
  artifacts:
    when: always
    paths: [reports/]

.setup:
  script:
    - echo setup one
    - echo setup two`)
	for i := 0; i < *n; i++ {
		stage := stages[i%len(stages)]
		fmt.Fprintf(w, "\n.tpl-%d:\n  extends: .python\n  variables:\n    SHARD: \"%d\"\n", i, i)
		fmt.Fprintf(w, "\njob-%d:\n  extends: [.tpl-%d]\n  stage: %s\n", i, i, stage)
		fmt.Fprintf(w, "  script:\n    - !reference [.setup, script]\n    - echo job %d on $APP\n    - pytest -q tests/shard_%d\n", i, i)
		fmt.Fprintln(w, "  rules: *rules-mr")
		if i >= len(stages) && i%3 == 0 {
			fmt.Fprintf(w, "  needs: [job-%d] # one stage earlier\n", i-len(stages))
		}
	}
}
