#!/usr/bin/env bash
# Runs gantry's `run` benchmarks side by side and prints a Markdown table:
#   p20     gantry vs gitlab-ci-local 4.70.0 vs baseline.sh (median wall time)
#   p200    peak RSS of gantry run on 200 jobs
#   biglog  one job printing 500 MB through the masker: throughput and RSS
# Usage: bench/run.sh [RUNS]   (default 5 runs per measurement; needs go, git,
# npm and GNU time; installs rsync from Debian if missing, gitlab-ci-local
# from npm into a temp dir)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
runs=${1:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
if ! command -v rsync >/dev/null; then
  $sudo apt-get install -y -q rsync >/dev/null
fi
[ -x /usr/bin/time ] || $sudo apt-get install -y -q time >/dev/null

echo "building gantry, installing gitlab-ci-local 4.70.0..." >&2
(cd "$repo" && go build -o "$tmp/gantry" ./cmd/gantry)
npm install --silent --no-audit --no-fund --prefix "$tmp/gcl" gitlab-ci-local@4.70.0 >/dev/null
gcl="$tmp/gcl/node_modules/.bin/gitlab-ci-local"
gantry="$tmp/gantry"

# project WORKLOAD: a fresh git repository holding bench/WORKLOAD.
project() {
  local d
  d=$(mktemp -d "$tmp/$1.XXXX")
  cp -r "$here/$1/." "$d"
  git -C "$d" init -q -b main
  git -C "$d" add -A
  git -C "$d" -c user.name=bench -c user.email=bench@example.com commit -q -m bench
  echo "$d"
}

# measure DIR CMD...: runs CMD in DIR $runs times; prints "median_seconds max_rss_kb".
measure() {
  local dir=$1
  shift
  local out="$tmp/time.$$"
  : >"$out.all"
  local start end
  for _ in $(seq "$runs"); do
    start=$EPOCHREALTIME
    (cd "$dir" && /usr/bin/time -f "%M" -o "$out" "$@" >/dev/null 2>&1) || {
      echo "FAILED: $* (in $dir)" >&2
      cat "$out" >&2
      exit 1
    }
    end=$EPOCHREALTIME
    # %e has 10 ms steps: time the run here, in microseconds.
    echo "$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.3f", b-a}') $(cat "$out")" >>"$out.all"
  done
  sort -n "$out.all" | awk -v n="$runs" '{t[NR]=$1; if ($2>m) m=$2} END {print t[int((n+1)/2)], m}'
}

p20=$(project p20)
read -r t_gantry rss_gantry < <(measure "$p20" "$gantry" run -j 5)
read -r t_gcl rss_gcl < <(measure "$p20" "$gcl" --shell-executor-no-image --concurrency 5)
read -r t_base rss_base < <(measure "$p20" bash baseline.sh)

p200=$(project p200)
read -r t_p200 rss_p200 < <(measure "$p200" "$gantry" run)

big=$(project biglog)
read -r t_big rss_big < <(measure "$big" "$gantry" run --log-limit 0 --secret TOKEN=Sup3rS3cretValue42)
read -r t_bigq rss_bigq < <(measure "$big" "$gantry" run --quiet --log-limit 0 --secret TOKEN=Sup3rS3cretValue42)
logsize=$(stat -c %s "$big"/.gantry/logs/1/big.log)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1fx", a/b}'; }
mbps() { awk -v t="$1" 'BEGIN {printf "%.0f MB/s", 500/t}'; }

cat <<EOF
Results ($(date -u +%Y-%m-%d), $(nproc) CPUs, median of $runs runs, $(uname -sr))

| Workload | Tool | Wall time | Peak RSS | Note |
|---|---|---|---|---|
| p20 (20 echo jobs, 4 stages, -j 5) | gantry run | ${t_gantry} s | $((rss_gantry / 1024)) MB | $(ratio "$t_gcl" "$t_gantry") faster than gitlab-ci-local, $(ratio "$t_gantry" "$t_base") of baseline |
| p20 | gitlab-ci-local 4.70.0 | ${t_gcl} s | $((rss_gcl / 1024)) MB | --shell-executor-no-image --concurrency 5 |
| p20 | baseline.sh | ${t_base} s | $((rss_base / 1024)) MB | plain bash, same stage barriers |
| p200 (200 echo jobs) | gantry run | ${t_p200} s | $((rss_p200 / 1024)) MB | target: RSS <= 50 MB |
| biglog (500 MB of output, masked) | gantry run | ${t_big} s | $((rss_big / 1024)) MB | $(mbps "$t_big") end to end, log file $((logsize / 1000000)) MB |
| biglog | gantry run --quiet | ${t_bigq} s | $((rss_bigq / 1024)) MB | $(mbps "$t_bigq") end to end |
EOF
