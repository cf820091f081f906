#!/usr/bin/env bash
# Deploy benchmark: the guide's deploy.sh (bench/deploy/deploy.sh, over ssh)
# against `gantry deploy` on the same host and stack: real sshd on
# 127.0.0.1, the local dockerd with docker-compose, a real registry.
# Usage: bench/deploy.sh [ROUNDS]   (each round deploys v2 then v1 with each)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
GANTRY_BENCH_DEPLOY=${1:-3} GANTRY_TEST_REQUIRE=docker,sshd,registry,docker-compose,ssh \
  go test -tags deploybench -count=1 -run '^TestDeployBench$' -v ./internal/deploy/ | grep -E '^(deploy.sh|gantry|ratio)|FAIL|^ok'
