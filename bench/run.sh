#!/usr/bin/env bash
# Runs gantry's `run` benchmarks side by side and prints a Markdown table:
#   p20     gantry vs gitlab-ci-local 4.70.0 vs baseline.sh: wall and CPU time
#   p200    peak RSS of gantry run on 200 jobs
#   biglog  one job printing 500 MB through the masker: throughput and RSS
# Usage: bench/run.sh [RUNS]   (default 11 rounds for p20, 3 runs for the
# others; needs go, git, npm and GNU time; installs rsync and time from
# Debian if missing, gitlab-ci-local from npm into a temp dir)
# Wall time is the script's (microseconds), CPU time bash's `time` of the
# tool and its children (milliseconds), peak RSS GNU time's.
#        BEFORE=/path/to/older/gantry bench/run.sh   adds that build to p20's
# rounds, for a before/after comparison on the same machine at the same time.
#
# p20's tools run in rounds, one run of each per round in turn, and the
# ratios are taken per round before their median: on a shared machine the
# load drifts between rounds, much less within one.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
runs=${1:-11}
tmp=$(mktemp -d)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
trap 'rm -rf "$tmp"' EXIT

sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
if ! command -v rsync >/dev/null; then
  $sudo apt-get install -y -q rsync >/dev/null
fi
[ -x /usr/bin/time ] || $sudo apt-get install -y -q time >/dev/null

echo "building gantry, installing gitlab-ci-local 4.70.0..." >&2
# Built as it ships: one static binary (no dynamic loader at each start).
(cd "$repo" && CGO_ENABLED=0 go build -trimpath -o "$tmp/gantry" ./cmd/gantry)
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

# once DIR CMD...: runs CMD in DIR once; prints "wall_s cpu_s max_rss_kb".
once() {
  local dir=$1
  shift
  local out="$tmp/time.$$" cpu="$tmp/cpu.$$" start end
  start=$EPOCHREALTIME
  # GNU time gives the peak RSS; its %U and %S have 10 ms steps, too coarse
  # for p20, so CPU time (children included) is bash's, in milliseconds.
  (cd "$dir" && TIMEFORMAT='%3U %3S' && { time /usr/bin/time -f "%M" -o "$out" "$@" >/dev/null 2>&1; } 2>"$cpu") || {
    echo "FAILED: $* (in $dir)" >&2
    cat "$out" >&2
    exit 1
  }
  end=$EPOCHREALTIME
  # %e has 10 ms steps: the wall time is taken here, in microseconds.
  paste -d' ' "$cpu" "$out" | awk -v a="$start" -v b="$end" '{printf "%.4f %.3f %d\n", b-a, $1+$2, $3}'
}

# median: the median of the numbers on stdin.
median() { sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else printf "%.4f\n", (v[NR/2]+v[NR/2+1])/2}'; }

# measure N DIR CMD...: runs CMD N times; prints "median_wall max_rss_kb".
measure() {
  local n=$1 dir=$2
  shift 2
  local all="$tmp/all.$$"
  : >"$all"
  for _ in $(seq "$n"); do once "$dir" "$@" >>"$all"; done
  echo "$(cut -d' ' -f1 "$all" | median) $(cut -d' ' -f3 "$all" | sort -n | tail -1)"
}

p20=$(project p20)
# One run each first: gantry's first run in a repository makes the job
# workspaces and caches the index, gitlab-ci-local fills its own caches.
once "$p20" "$gantry" run -j 5 >/dev/null
once "$p20" "$gcl" --shell-executor-no-image --concurrency 5 >/dev/null
before=${BEFORE:-}
if [ -n "$before" ]; then
  p20b=$(project p20)
  once "$p20b" "$before" run -j 5 >/dev/null
fi
rounds="$tmp/rounds"
: >"$rounds"
for _ in $(seq "$runs"); do
  g=$(once "$p20" "$gantry" run -j 5)
  l=$(once "$p20" "$gcl" --shell-executor-no-image --concurrency 5)
  b=$(once "$p20" bash baseline.sh)
  o="0 0 0"
  [ -z "$before" ] || o=$(once "$p20b" "$before" run -j 5)
  echo "$g $l $b $o" >>"$rounds"
done
# Columns: 1-3 gantry wall/cpu/rss, 4-6 gitlab-ci-local, 7-9 baseline,
# 10-12 the BEFORE build.
col() { awk -v c="$1" '{print $c}' "$rounds" | median; }
t_gantry=$(col 1) c_gantry=$(col 2)
t_gcl=$(col 4) c_gcl=$(col 5)
t_base=$(col 7) c_base=$(col 8)
rss() { awk -v c="$1" '$c>m {m=$c} END {print int(m/1024)}' "$rounds"; }
vs_gcl=$(awk '{print $4/$1}' "$rounds" | median)
vs_base=$(awk '{print $1/$7}' "$rounds" | median)
cpu_vs_base=$(awk '{print $2/$8}' "$rounds" | median)

p200=$(project p200)
once "$p200" "$gantry" run >/dev/null
read -r t_p200 rss_p200 < <(measure 3 "$p200" "$gantry" run)

big=$(project biglog)
read -r t_big rss_big < <(measure 3 "$big" "$gantry" run --log-limit 0 --secret TOKEN=Sup3rS3cretValue42)
read -r t_bigq rss_bigq < <(measure 3 "$big" "$gantry" run --quiet --log-limit 0 --secret TOKEN=Sup3rS3cretValue42)
logsize=$(stat -c %s "$(ls -d "$big"/.gantry/logs/*/big.log | tail -1)")

x() { awk -v a="$1" 'BEGIN {printf "%.2fx", a}'; }
mbps() { awk -v t="$1" 'BEGIN {printf "%.0f MB/s", 500/t}'; }

before_row=""
if [ -n "$before" ]; then
  before_row="| p20 | gantry run (BEFORE build) | $(col 10) s | $(col 11) s | $(rss 12) MB | $(x "$(awk '{print $4/$10}' "$rounds" | median)") faster than gitlab-ci-local; $(x "$(awk '{print $10/$7}' "$rounds" | median)") of baseline; $(x "$(awk '{print $10/$1}' "$rounds" | median)") the time of this build |"
fi

cat <<EOF
Results ($(date -u +%Y-%m-%d), $(nproc) CPUs, load average $load_start at start, $(cut -d' ' -f1-3 /proc/loadavg) at end, $(uname -sr))
p20: median of $runs rounds (ratios: median of the per-round ratios); others: median of 3 runs

| Workload | Tool | Wall time | CPU time | Peak RSS | Note |
|---|---|---|---|---|---|
| p20 (20 echo jobs, 4 stages, -j 5) | gantry run | ${t_gantry} s | ${c_gantry} s | $(rss 3) MB | $(x "$vs_gcl") faster than gitlab-ci-local; $(x "$vs_base") of baseline's wall time, $(x "$cpu_vs_base") of its CPU |
| p20 | gitlab-ci-local 4.70.0 | ${t_gcl} s | ${c_gcl} s | $(rss 6) MB | --shell-executor-no-image --concurrency 5 |
| p20 | baseline.sh | ${t_base} s | ${c_base} s | $(rss 9) MB | plain bash, same stage barriers |
EOF
[ -z "$before_row" ] || echo "$before_row"
cat <<EOF
| p200 (200 echo jobs) | gantry run | ${t_p200} s | | $((rss_p200 / 1024)) MB | target: RSS <= 50 MB |
| biglog (500 MB of output, masked) | gantry run | ${t_big} s | | $((rss_big / 1024)) MB | $(mbps "$t_big") end to end, log file $((logsize / 1000000)) MB |
| biglog | gantry run --quiet | ${t_bigq} s | | $((rss_bigq / 1024)) MB | $(mbps "$t_bigq") end to end |
EOF
