#!/usr/bin/env bash
# Installs what scripts/vm-test.sh needs on the host: qemu-system-x86 (the emulator), debootstrap (the
# VM's root file system), cpio (packing it as an initramfs), gcc and libc6-dev (the small static
# helper of scenario 2b). Only what is missing is installed, without recommends; nothing is upgraded.
# Safe to run again.
set -euo pipefail
missing=()
command -v qemu-system-x86_64 >/dev/null 2>&1 || missing+=(qemu-system-x86)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
command -v cpio >/dev/null 2>&1 || missing+=(cpio)
command -v gcc >/dev/null 2>&1 || missing+=(gcc)
dpkg-query -W -f='${Status}' libc6-dev 2>/dev/null | grep -q "install ok installed" || missing+=(libc6-dev)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "ensure-vm-deps.sh: missing ${missing[*]}; as root: apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 1
fi
echo "ensure-vm-deps.sh: installing ${missing[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
