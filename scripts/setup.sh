#!/usr/bin/env bash
# Installs from Debian what gantry's tests need, skipping what is present, and
# starts the services they use. Idempotent; safe to run on every test run.
# Needs root (or sudo) only when something is missing.
set -euo pipefail

# Debian packages the tests need: command -> package.
declare -A need=(
  [git]=git
  [bash]=bash
)

missing=()
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}")
done

if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Tests make git commits; give git an identity when the machine has none.
git config --global user.email >/dev/null 2>&1 || git config --global user.email "gantry-tests@localhost"
git config --global user.name >/dev/null 2>&1 || git config --global user.name "gantry tests"
