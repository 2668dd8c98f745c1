#!/usr/bin/env bash
# Installs what building oom-adjust needs beyond the Swift toolchain: libmnl's headers.
# Sourced by scripts/run.sh and scripts/test.sh; safe to run again.
set -euo pipefail
if ! dpkg-query -W -f='${Status}' libmnl-dev 2>/dev/null | grep -q "install ok installed"; then
    echo "installing libmnl-dev" >&2
    if [ "$(id -u)" -ne 0 ]; then
        echo "libmnl-dev is missing and installing it needs root: sudo apt-get install libmnl-dev" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libmnl-dev >/dev/null
fi
