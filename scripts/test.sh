#!/usr/bin/env bash
# The README's test command: set up this machine for the tests (installs what
# is missing from Debian, starts services), then runs every Go test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
go test -count=1 "$@" ./...
