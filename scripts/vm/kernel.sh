#!/usr/bin/env bash
# Prints the path of a Debian cloud kernel image for the VM, fetched once and then reused from the cache:
#
#   scripts/vm/kernel.sh CACHE_DIR 6.1     Debian 12 (bookworm)
#   scripts/vm/kernel.sh CACHE_DIR 6.12    Debian 13 (trixie)
#
# The kernel is whatever the suite's linux-image-cloud-amd64 points at today (its -unsigned build
# where there is one), found and downloaded with apt through a temporary sources list with its own
# Dir::State::Lists and Dir::Cache, so the host's apt state is never touched, and unpacked with
# dpkg-deb -x into CACHE_DIR/kernels/SERIES/PACKAGE_VERSION/. The choice is looked up again when it
# is older than OOM_ADJUST_VM_KERNEL_MAX_AGE_DAYS (default 7; 0 always looks); when the mirror cannot
# be reached, the cached kernel is used with a warning.
set -euo pipefail
cache=${1:?usage: kernel.sh CACHE_DIR 6.1|6.12}
series=${2:?usage: kernel.sh CACHE_DIR 6.1|6.12}
here=$(cd "$(dirname "$0")" && pwd)
case "$series" in
6.1) suite=bookworm ;;
6.12) suite=trixie ;;
*) echo "kernel.sh: unknown kernel series $series (6.1 or 6.12)" >&2; exit 64 ;;
esac
max_age_days=${OOM_ADJUST_VM_KERNEL_MAX_AGE_DAYS:-7}
store=$cache/kernels/$series
current=$store/current
mkdir -p "$store"
exec 9>"$store/.lock"
flock 9

if [ -s "$current" ] && [ -f "$(cat "$current")" ] &&
    [ -z "$(find "$current" -mmin +$((max_age_days * 24 * 60)) 2>/dev/null)" ] && [ "$max_age_days" -gt 0 ]; then
    cat "$current"
    exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/oom-adjust-vm-kernel.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM HUP
# Falls back to the cached kernel, if there is one, when the lookup or the download fails.
use_cached_or_fail() {
    if [ -s "$current" ] && [ -f "$(cat "$current")" ]; then
        echo "kernel.sh: $1; using the cached $(cat "$current")" >&2
        cat "$current"
        exit 0
    fi
    echo "kernel.sh: $1" >&2
    exit 1
}

keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || use_cached_or_fail "no $keyring (apt-get install debian-archive-keyring)"
mirror=$("$here/mirror.sh" debian) || use_cached_or_fail "no Debian mirror known"
security=$("$here/mirror.sh" security) || use_cached_or_fail "no Debian security mirror known"
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/parts" "$work/download"
printf 'deb [signed-by=%s] %s %s main\ndeb [signed-by=%s] %s %s-security main\n' \
    "$keyring" "$mirror" "$suite" "$keyring" "$security" "$suite" >"$work/sources.list"
: >"$work/status"
# apt drops to _apt for downloads; it must be able to write where they go.
if getent passwd _apt >/dev/null; then chown -R _apt "$work/lists" "$work/cache" "$work/download"; fi
apt_options=(-o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=$work/parts"
    -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o "Dir::State::status=$work/status")
apt-get "${apt_options[@]}" -qq update >"$work/update.log" 2>&1 ||
    use_cached_or_fail "apt-get update for $suite failed: $(tail -n 3 "$work/update.log")"

image=$(apt-cache "${apt_options[@]}" depends linux-image-cloud-amd64 | sed -n 's/^ *Depends: \(linux-image-[^ ]*\).*/\1/p' | head -n 1)
case "$image" in
linux-image-"$series".*) ;;
*) use_cached_or_fail "linux-image-cloud-amd64 in $suite depends on '${image}', not a $series kernel" ;;
esac
package=$image
if apt-cache "${apt_options[@]}" show "$image-unsigned" >/dev/null 2>&1; then package=$image-unsigned; fi
version=$(apt-cache "${apt_options[@]}" policy "$package" | sed -n 's/^ *Candidate: //p')
target=$store/${package}_$version
if [ ! -f "$target/vmlinuz" ]; then
    echo "kernel.sh: downloading $package $version from $suite" >&2
    (cd "$work/download" && apt-get "${apt_options[@]}" -qq download "$package" >"$work/download.log" 2>&1) ||
        use_cached_or_fail "apt-get download $package failed: $(tail -n 3 "$work/download.log")"
    dpkg-deb -x "$work/download/"*.deb "$work/unpacked"
    mkdir -p "$target.partial"
    cp "$work/unpacked/boot/"vmlinuz-* "$target.partial/vmlinuz"
    cp "$work/unpacked/boot/"config-* "$target.partial/config"
    rm -rf "$target"
    mv "$target.partial" "$target"
fi
echo "$target/vmlinuz" >"$current.new"
mv "$current.new" "$current"
# Only the kernel in use stays.
find "$store" -mindepth 1 -maxdepth 1 -type d ! -path "$target" -exec rm -rf {} +
echo "$target/vmlinuz"
