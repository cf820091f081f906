#!/usr/bin/env bash
# Builds the images gantry's tests run, from Debian packages only (no image
# registry is reachable here):
#
#   busybox   docker import of a rootfs made from Debian's busybox-static
#   debian    one shared rootfs made by mmdebstrap with every package listed
#             in debian/packages, imported once (the slow step, ~1 min)
#   postgres, redis, python
#             short Dockerfiles on top of debian (no RUN: no network needed)
#
# Each image carries the hash of its recipe in the label gantry.recipe and is
# rebuilt only when that hash changes; an up-to-date image costs one inspect.
#
# Usage: build.sh [-f] all|NAME...    (-f rebuilds even when up to date)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${GANTRY_IMAGE_CACHE:-/var/cache/gantry-images}
label=gantry.recipe

force=0
if [ "${1:-}" = -f ]; then force=1; shift; fi
[ $# -gt 0 ] || set -- all
if [ "$1" = all ]; then set -- busybox postgres redis python; fi

mkdir -p "$cache/debs"
# go test runs packages in parallel, and each may ask for images.
exec 9>"$cache/lock"
flock 9

# hash_of FILE... prints a content hash of the files' names and contents.
hash_of() {
  (cd "$here" && for f in "$@"; do printf '%s\n' "$f"; cat "$f"; done) | sha256sum | cut -c1-16
}

current() { docker image inspect --format "{{ index .Config.Labels \"$label\" }}" "$1" 2>/dev/null || true; }

fresh() { # fresh TAG HASH: is the image there with that recipe hash?
  [ "$force" = 0 ] && [ "$(current "$1")" = "$2" ]
}

say() { echo "images: $*" >&2; }

build_busybox() {
  local tag=gantry-test/busybox:latest bb
  bb=$(command -v busybox) || { say "busybox not found: apt-get install busybox-static"; return 1; }
  local h
  h=$(hash_of build.sh busybox/changes; sha256sum "$bb")
  h=$(printf '%s' "$h" | sha256sum | cut -c1-16)
  if fresh "$tag" "$h"; then say "$tag up to date"; return; fi
  local t0=$SECONDS root changes=()
  root=$(mktemp -d)
  mkdir -p "$root"/{bin,etc,tmp,root,builds}
  chmod 1777 "$root/tmp"
  cp "$bb" "$root/bin/busybox"
  for a in $("$bb" --list); do [ "$a" = busybox ] || ln -s busybox "$root/bin/$a"; done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  while IFS= read -r line; do
    case $line in ''|'#'*) continue ;; esac
    changes+=(--change "$line")
  done <"$here/busybox/changes"
  tar -C "$root" -c . | docker import "${changes[@]}" --change "LABEL $label=$h" - "$tag" >/dev/null
  rm -rf "$root"
  say "built $tag in $((SECONDS - t0)) s"
}

debian_hash() { hash_of build.sh debian/packages; }

debian_done=0
build_debian() {
  local tag=gantry-test/debian:latest h
  [ "$debian_done" = 0 ] || return 0
  debian_done=1
  h=$(debian_hash)
  if fresh "$tag" "$h"; then say "$tag up to date"; return; fi
  command -v mmdebstrap >/dev/null || { say "mmdebstrap not found: apt-get install mmdebstrap"; return 1; }
  local t0=$SECONDS pkgs mirror=http://deb.debian.org/debian
  pkgs=$(grep -v '^#' "$here/debian/packages" | xargs | tr ' ' ,)
  # The host's own apt sources, so that a mirror or proxy set up there is used.
  [ -f /etc/apt/sources.list.d/debian.sources ] && mirror=/etc/apt/sources.list.d/debian.sources
  say "building $tag with mmdebstrap (about a minute)"
  # Packages are kept in $cache/debs between builds; docs and man pages are
  # left out. The tar goes straight into docker import.
  mmdebstrap --quiet --variant=apt --format=tar --include="$pkgs" \
    --aptopt='Acquire::Languages "none"' \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
    --setup-hook="sync-in $cache/debs /var/cache/apt/archives/" \
    --customize-hook="sync-out /var/cache/apt/archives $cache/debs" \
    --customize-hook='rm -f "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/*_Packages' \
    bookworm - "$mirror" </dev/null |
    docker import --change 'CMD ["bash"]' --change "LABEL $label=$h" - "$tag" >/dev/null
  say "built $tag in $((SECONDS - t0)) s"
}

# derived NAME: NAME/Dockerfile on top of the debian image; "# tags:" in the
# Dockerfile lists more tags for it.
build_derived() {
  local name=$1 tag=gantry-test/$1:latest h files
  build_debian
  files=$(cd "$here" && find "$name" -type f | sort)
  # shellcheck disable=SC2086 # file names are ours, without spaces
  h=$( (debian_hash; hash_of $files) | sha256sum | cut -c1-16)
  if fresh "$tag" "$h"; then say "$tag up to date"; return; fi
  local t0=$SECONDS tags=(-t "$tag")
  for t in $(sed -n 's/^# tags: *//p' "$here/$name/Dockerfile"); do tags+=(-t "$t"); done
  # The legacy builder: no buildx plugin here, and these Dockerfiles only
  # set metadata and copy files.
  DOCKER_BUILDKIT=0 docker build -q --label "$label=$h" "${tags[@]}" "$here/$name" >/dev/null 2> >(grep -v -e DEPRECATED -e 'legacy builder' -e BuildKit -e '^ *environment-variable' -e '^$' >&2 || true)
  say "built $tag in $((SECONDS - t0)) s"
}

for name in "$@"; do
  case $name in
    busybox | debian) "build_$name" ;;
    postgres | redis | python) build_derived "$name" ;;
    *) say "unknown image $name (known: busybox debian postgres redis python)"; exit 2 ;;
  esac
done
