#!/usr/bin/env bash
# The guide's deploy.sh (section 7.1), adapted only in names: the compose
# file and project of the bench's test app, docker-compose (Debian's) for
# `docker compose`, ${IMAGE} for the image and one release command (the
# test app has no collectstatic).
set -e

IMAGE_TAG=$1  # commit SHA ou tag

export IMAGE_TAG
export IMAGE=$REGISTRY/gantry-demo:$IMAGE_TAG

docker-compose -p "$PROJECT" -f docker-compose.yml pull web worker beat

docker-compose -p "$PROJECT" -f docker-compose.yml run --rm web \
  /app migrate

docker-compose -p "$PROJECT" -f docker-compose.yml up -d web worker beat
