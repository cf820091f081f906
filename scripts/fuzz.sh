#!/usr/bin/env bash
# A short pass of every fuzz target (FUZZTIME each, default 3s). The seed
# corpora already run as unit tests; this explores a little beyond them.
# A failing input is saved under the package's testdata/fuzz/ by go test.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-3s}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for pkg in $(go list ./...); do
  for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
    echo "fuzz: $pkg $target ($fuzztime)"
    if ! go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" "$pkg" >"$log" 2>&1; then
      tail -40 "$log"
      # A found bug always comes with its input written to testdata/fuzz;
      # anything else (a worker lost on a loaded machine) is retried once.
      if grep -qi "failing input written to" "$log"; then
        exit 1
      fi
      echo "fuzz: $target failed without a failing input; retrying once"
      if ! go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" "$pkg" >"$log" 2>&1; then
        tail -40 "$log"
        exit 1
      fi
    fi
  done
done
