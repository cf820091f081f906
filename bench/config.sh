#!/usr/bin/env bash
# Parsing speed, side by side: `gantry config` (read, include, extends,
# !reference, anchors, decode, render) on a generated 2,000-job pipeline,
# against gitlab-ci-local 4.70.0's `--preview` of the same file.
# Usage: bash bench/config.sh [RUNS]   (prints a markdown table row per tool)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -o "$work/gantry" ./cmd/gantry
go run ./bench/genpipeline -jobs 2000 >"$work/.gitlab-ci.yml"
(cd "$work" && git init -q -b main && git add .gitlab-ci.yml && git -c user.name=b -c user.email=b@b commit -qm bench)

# gitlab-ci-local from npm, cached between runs (newer versions need Node 22).
gcl_dir=${GCL_DIR:-${TMPDIR:-/tmp}/gantry-bench-gcl}
if [ ! -x "$gcl_dir/node_modules/.bin/gitlab-ci-local" ]; then
  mkdir -p "$gcl_dir"
  npm install --silent --prefix "$gcl_dir" gitlab-ci-local@4.70.0 >/dev/null 2>&1 || echo "bench: could not install gitlab-ci-local; skipping it" >&2
fi

# median wall time in ms of "$@" over $runs runs, in $work
median() {
  local times=()
  for _ in $(seq "$runs"); do
    local start end
    start=$(date +%s%N)
    (cd "$work" && "$@" >/dev/null 2>&1)
    end=$(date +%s%N)
    times+=($(((end - start) / 1000000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p"
}

g=$(median "$work/gantry" config)
echo "| tool | median ms ($runs runs) | ratio |"
echo "|---|---|---|"
echo "| gantry config | $g | 1.0x |"
if [ -x "$gcl_dir/node_modules/.bin/gitlab-ci-local" ]; then
  c=$(median "$gcl_dir/node_modules/.bin/gitlab-ci-local" --preview)
  echo "| gitlab-ci-local --preview | $c | $(awk -v a="$c" -v b="$g" 'BEGIN{printf "%.1fx", a/b}') |"
fi
