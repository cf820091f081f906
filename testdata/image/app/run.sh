#!/bin/sh
# web, worker or beat: what the guide's compose file runs from one image.
echo "$(cat /app/greeting) from $1"
