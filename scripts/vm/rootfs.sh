#!/usr/bin/env bash
# Prints the path of a minimal Debian 12 root file system, packed as an uncompressed newc cpio archive
# (an initramfs), built once and then reused from the cache:
#
#   scripts/vm/rootfs.sh CACHE_DIR DEB
#
# debootstrap --variant=minbase with systemd as init, dbus, and what DEB depends on (so `dpkg -i DEB`
# works without a network), nothing else: the scenarios use only what minbase and systemd bring
# (coreutils, util-linux, perl-base, dash); systemd's generators are masked. The archive is keyed by that package list and this recipe,
# in CACHE_DIR/rootfs/KEY.cpio; the newest three are kept. The mirror is the host's (scripts/vm/mirror.sh).
# Run as root; a lock serialises concurrent builds.
set -euo pipefail
cache=${1:?usage: rootfs.sh CACHE_DIR DEB}
deb=${2:?usage: rootfs.sh CACHE_DIR DEB}
here=$(cd "$(dirname "$0")" && pwd)
suite=bookworm
# Bump when the recipe below changes what ends up in the archive.
recipe=2

# The package's Depends, first alternatives, without versions or architecture qualifiers.
depends=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*//; s/:.*//; s/[[:space:]]//g' | grep -v '^$' || true)
packages=$(printf '%s\n' systemd systemd-sysv dbus $depends | sort -u | paste -sd, -)
key=$(printf 'recipe %s\nsuite %s\nvariant minbase\npackages %s\n' "$recipe" "$suite" "$packages" | sha256sum | cut -c1-16)
archive=$cache/rootfs/$key.cpio

mkdir -p "$cache/rootfs"
exec 9>"$cache/rootfs/.lock"
flock 9
if [ -s "$archive" ]; then
    touch "$archive"
    echo "$archive"
    exit 0
fi

mirror=$("$here/mirror.sh" debian)
build=$(mktemp -d "$cache/rootfs/build.XXXXXX")
# debootstrap mounts /proc and /sys inside the target while it works; an interrupted run leaves them.
cleanup() {
    { grep -o " $build/[^ ]*" /proc/mounts || true; } | sort -r | while read -r mountpoint; do umount -l "$mountpoint" || true; done
    rm -rf "$build"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
echo "rootfs.sh: building Debian $suite minbase with $packages (key $key) from $mirror" >&2
started=$SECONDS
if ! debootstrap --variant=minbase --include="$packages" "$suite" "$build/root" "$mirror" >"$build/debootstrap.log" 2>&1; then
    tail -n 20 "$build/debootstrap.log" >&2
    echo "rootfs.sh: debootstrap failed (log above)" >&2
    exit 1
fi
# Only what runs: the downloaded .debs, documentation and translations go (dpkg still installs them for
# packages installed later), which keeps the initramfs the VM unpacks small.
rm -rf "$build/root/var/cache/apt/archives/"*.deb "$build/root/var/lib/apt/lists/"* \
    "$build/root/usr/share/doc/"* "$build/root/usr/share/man/"* "$build/root/usr/share/info/"* "$build/root/usr/share/locale/"*
echo oavm >"$build/root/etc/hostname"
# systemd's generators have nothing to find in a disk-less VM without fstab, crypttab, init scripts or
# a serial getty to spawn, and under emulation they cost seconds at every daemon-reload (each dpkg
# operation on a unit does one or two): masked.
mkdir -p "$build/root/etc/systemd/system-generators"
for generator in "$build/root/lib/systemd/system-generators/"*; do
    ln -s /dev/null "$build/root/etc/systemd/system-generators/${generator##*/}"
done
(cd "$build/root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) >"$build/rootfs.cpio"
printf '%s\n' "$packages" | tr , '\n' >"$cache/rootfs/$key.packages"
mv "$build/rootfs.cpio" "$archive"
echo "rootfs.sh: built $archive ($(du -m "$archive" | cut -f1) MiB) in $((SECONDS - started)) s" >&2
# The newest three stay; an older package list is not coming back soon.
ls -t "$cache/rootfs/"*.cpio | tail -n +4 | while read -r old; do rm -f "$old" "${old%.cpio}.packages"; done
echo "$archive"
