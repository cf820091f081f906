#!/usr/bin/env bash
# The README's test command: set up this machine for the tests (installs what
# is missing from Debian, starts services), then runs every Go test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The deploy and example suites take minutes each (real sshd, dockerd, registry):
# room beyond go test's 10-minute default for a slower machine.
go test -count=1 -timeout 25m "$@" ./...
