#!/usr/bin/env bash
# Builds the container image from deploy/Containerfile with podman (or buildah), offline, and prints
# the image's name as the LAST line of stdout.
#
#   scripts/build-image.sh                       localhost/oom-adjust:VERSION (and :latest)
#   IMAGE=registry.example/oom-adjust scripts/build-image.sh
#   VERSION=1.2.0 scripts/build-image.sh
#
# VERSION defaults to scripts/version.sh's, and the binary is built with it (OOM_ADJUST_VERSION), so
# `oom-adjust --version`, the metric and the image's label agree. The image holds the release binary
# (built with --static-swift-stdlib in .build-release, or SWIFT_SCRATCH_PATH; stripped) and the shared
# libraries ldd lists for it, at the paths ldd gives; nothing else. CONTAINER_TOOL=podman|buildah
# picks the tool (default: podman if installed, else buildah).
set -euo pipefail
cd "$(dirname "$0")/.."
version=${VERSION:-$(scripts/version.sh)}
image=${IMAGE:-localhost/oom-adjust}
# A tag may not hold '+' or '~'; the exact version is in the label.
tag=$(printf '%s' "$version" | tr '+~' '__')
scratch=${SWIFT_SCRATCH_PATH:-.build-release}

tool=${CONTAINER_TOOL:-}
if [ -z "$tool" ]; then
    if command -v podman >/dev/null 2>&1; then tool=podman; elif command -v buildah >/dev/null 2>&1; then tool=buildah; fi
fi
case "$tool" in
podman | buildah) command -v "$tool" >/dev/null 2>&1 || { echo "build-image.sh: $tool is not installed" >&2; exit 1; } ;;
"") echo "build-image.sh: neither podman nor buildah is installed; as root: apt-get install --no-install-recommends podman runc" >&2; exit 1 ;;
*) echo "build-image.sh: CONTAINER_TOOL must be podman or buildah, not $tool" >&2; exit 64 ;;
esac

scripts/ensure-deps.sh
OOM_ADJUST_VERSION=$version swift build -c release --static-swift-stdlib --product oom-adjust --scratch-path "$scratch" >&2
binary=$scratch/release/oom-adjust
said=$("$binary" --version)
[ "$said" = "$version" ] || { echo "build-image.sh: the binary says version $said, not $version" >&2; exit 1; }
if ldd "$binary" | grep -q 'libswift\|libFoundation\|libdispatch'; then
    ldd "$binary" >&2
    echo "build-image.sh: the binary links the Swift runtime dynamically; it must be built with --static-swift-stdlib" >&2
    exit 1
fi

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
rootfs=$context/rootfs
install -D -m 0755 "$binary" "$rootfs/usr/sbin/oom-adjust"
strip --strip-unneeded "$rootfs/usr/sbin/oom-adjust"
# "libmnl.so.0 => /lib/x86_64-linux-gnu/libmnl.so.0 (0x...)" and the loader, "/lib64/ld-linux-x86-64.so.2 (0x...)":
# each copied, links resolved, to the path the binary asks for, with the host's mode (the loader must
# be executable).
ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u | while read -r library; do
    real=$(realpath "$library")
    install -D -m "$(stat -c %a "$real")" "$real" "$rootfs$library"
done
[ -n "$(find "$rootfs" -name 'ld-linux*')" ] || { echo "build-image.sh: ldd named no dynamic loader for $binary" >&2; exit 1; }
cp deploy/Containerfile "$context/Containerfile"

# Tagged with the version and as :latest, the tag deploy/kubernetes/daemonset.yaml names (pin a version
# there in production).
reference=$image:$tag
case "$tool" in
podman) podman build --quiet --layers=false --network=none --build-arg "VERSION=$version" --tag "$reference" --tag "$image:latest" "$context" >&2 ;;
buildah) buildah bud --quiet --layers=false --network=none --build-arg "VERSION=$version" --tag "$reference" --tag "$image:latest" "$context" >&2 ;;
esac
echo "$reference"
