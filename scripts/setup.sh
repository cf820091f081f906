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
