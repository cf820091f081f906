#!/usr/bin/env bash
# The guide's deploy script (section 7.1), run on the server in the
# directory of docker-compose.prod.yml and .env.prod:
#
#   ./deploy.sh <image tag>        # the commit SHA the pipeline built
#
# `gantry deploy` runs the same steps and adds what this script lacks: a
# lock, the release commands before the switch, a health gate on /healthz
# and /readiness, automatic rollback, the release history and
# notifications. The script stays as the floor gantry is measured against.
set -euo pipefail

IMAGE_TAG=${1:?usage: deploy.sh IMAGE_TAG}
export IMAGE_TAG
cd "$(dirname "$0")"

# docker compose (v2) when present, else Debian's docker-compose (v1).
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
else
  compose=(docker-compose)
fi
dc() { "${compose[@]}" -f docker-compose.prod.yml "$@"; }

dc pull web worker beat
dc run --rm web python manage.py migrate --noinput
dc run --rm web python manage.py collectstatic --noinput
dc up -d web worker beat
