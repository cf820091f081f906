#!/usr/bin/env bash
# Installs from Debian what gantry's tests need, skipping what is present, and
# starts the services they use. Idempotent; safe to run on every test run.
# Needs root (or sudo) only when something is missing.
set -euo pipefail

# Debian packages the tests need: command -> package.
declare -A need=(
  [git]=git
  [bash]=bash
  # Docker: the engine, and what testdata/images/build.sh makes images from.
  [dockerd]=docker.io
  [busybox]=busybox-static
  [mmdebstrap]=mmdebstrap
  # Image tests: the distribution registry, started by the tests themselves.
  [docker-registry]=docker-registry
  # Deploy tests: the SSH server they start as the deploy host, and compose
  # there (Debian has docker-compose; `docker compose` is used when present).
  [sshd]=openssh-server
  [docker-compose]=docker-compose
  # Two-host deploy tests: the second host is a network namespace
  # (internal/dockertest) made with ip; nsenter and unshare are util-linux's.
  [ip]=iproute2
)

# Root's own commands run as they are; anyone else's through sudo.
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

# sshd and dockerd live in /usr/sbin, which a non-root PATH may lack: without
# it they would look missing, and be "installed" again on every run.
PATH="$PATH:/usr/sbin:/sbin"

missing=()
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Tests make git commits; give git an identity when the machine has none.
git config --global user.email >/dev/null 2>&1 || git config --global user.email "gantry-tests@localhost"
git config --global user.name >/dev/null 2>&1 || git config --global user.name "gantry tests"

# Docker: start the engine when its socket does not answer, then wait for it.
# DOCKER_HOST pointing elsewhere means someone else runs the engine.
if [ -z "${DOCKER_HOST:-}" ] && ! docker info >/dev/null 2>&1; then
  log=/var/log/dockerd.log
  $sudo touch "$log" 2>/dev/null || log=/tmp/dockerd.log
  # A dockerd killed without cleaning up leaves its pid file, which stops
  # the next one from starting while any process has that pid.
  pidfile=/var/run/docker.pid
  if [ -f "$pidfile" ] && [ "$(cat "/proc/$(cat "$pidfile")/comm" 2>/dev/null)" != dockerd ]; then
    $sudo rm -f "$pidfile"
  fi
  echo "setup: starting dockerd (log: $log)" >&2
  # setsid: the engine outlives this script and the shell that ran it.
  $sudo setsid dockerd >>"$log" 2>&1 </dev/null &
  dockerd_pid=$!
  # If ours exits (another setup started one first), give that one 5 s.
  left=60
  while ! docker info >/dev/null 2>&1; do
    left=$((left - 1))
    if [ "$left" -gt 10 ] && ! kill -0 "$dockerd_pid" 2>/dev/null; then left=10; fi
    if [ "$left" -le 0 ]; then
      echo "setup: dockerd did not answer on /var/run/docker.sock within 30 s; last lines of $log:" >&2
      tail -n 20 "$log" >&2
      exit 1
    fi
    sleep 0.5
  done
fi

# Test images (busybox, postgres, redis, python), rebuilt only when their
# recipes change.
bash "$(dirname "$0")/../testdata/images/build.sh" all

# Deploy tests, Compose v2: built once from testdata/compose-v2 (pinned in its
# go.mod) as a docker CLI plugin in a cache directory, not system-wide: the
# tests point DOCKER_CONFIG there for the v2 runs, and Debian's docker-compose
# (v1) stays what the host has otherwise. internal/testenv knows the path.
compose_v2_dir=${GANTRY_COMPOSE_V2_DIR:-/var/cache/gantry-test/compose-v2.40.3}
if [ ! -x "$compose_v2_dir/cli-plugins/docker-compose" ]; then
  echo "setup: building Compose v2 into $compose_v2_dir (a few minutes, once)" >&2
  start=$(date +%s)
  $sudo mkdir -p "$compose_v2_dir/cli-plugins"
  tmp=$(mktemp)
  # The version is what `docker compose version` prints ("dev" without it);
  # -w as in compose's Makefile.
  GOWORK=off GOFLAGS=-mod=readonly go build -C "$(dirname "$0")/../testdata/compose-v2" \
    -ldflags "-w -X github.com/docker/compose/v2/internal.Version=v2.40.3" \
    -o "$tmp" github.com/docker/compose/v2/cmd
  # Renamed into place within the directory: a build cut short leaves no
  # half-written plugin that the check above would take as built.
  $sudo install -m 755 "$tmp" "$compose_v2_dir/cli-plugins/.docker-compose.new"
  rm -f "$tmp"
  $sudo mv "$compose_v2_dir/cli-plugins/.docker-compose.new" "$compose_v2_dir/cli-plugins/docker-compose"
  echo "setup: built Compose v2 in $(( $(date +%s) - start )) s" >&2
fi
