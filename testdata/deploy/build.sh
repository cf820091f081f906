#!/usr/bin/env bash
# Builds the deploy tests' app image: build.sh TAG VERSION [health|migrate]
# builds a static binary reporting VERSION (failing its health check or its
# migration when asked) on the busybox test image, tagged TAG.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tag=$1 version=$2 fail=${3:-}
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
(cd "$here/app" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$version -X main.fail=$fail" -o "$ctx/app" .)
cp "$here/Dockerfile" "$ctx/"
out=$(docker build -q -t "$tag" "$ctx" 2>&1) || { echo "$out" >&2; exit 1; }
