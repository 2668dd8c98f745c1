#!/usr/bin/env bash
# Prints the URI the host's apt uses for Debian's archive (`mirror.sh debian`) or for its security
# archive (`mirror.sh security`), from the Release files apt has fetched, so the VM's root file system
# and kernels come from the mirror this machine is set up with (OOM_ADJUST_VM_MIRROR and
# OOM_ADJUST_VM_SECURITY_MIRROR override). Fails, saying what to set, when apt
# knows none even after an `apt-get update` (not a Debian host, or no Debian source configured).
set -euo pipefail
case "${1:-}" in
debian) label=Debian variable=OOM_ADJUST_VM_MIRROR ;;
security) label=Debian-Security variable=OOM_ADJUST_VM_SECURITY_MIRROR ;;
*) echo "usage: mirror.sh debian|security" >&2; exit 64 ;;
esac
if [ -n "${!variable:-}" ]; then
    echo "${!variable%/}"
    exit 0
fi
lookup() {
    apt-get indextargets --format '$(ORIGIN)|$(LABEL)|$(REPO_URI)' 2>/dev/null |
        awk -F'|' -v label="$label" '$1 == "Debian" && $2 == label { print $3; exit }'
}
uri=$(lookup)
# Origin and Label come from the Release files: a machine that never ran apt-get update has none.
if [ -z "$uri" ] && [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq >/dev/null 2>&1 || true
    uri=$(lookup)
fi
if [ -z "$uri" ]; then
    echo "mirror.sh: the host's apt knows no $label archive; run apt-get update, or set $variable to a Debian mirror's URI" >&2
    exit 1
fi
echo "${uri%/}"
