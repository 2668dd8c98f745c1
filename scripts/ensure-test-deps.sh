#!/usr/bin/env bash
# Installs what the service and packaging tests use beyond the build's needs: systemd-analyze (from the
# systemd package, to verify etc/oom-adjust.service; installing the package does not start systemd,
# and without --install-recommends it does not replace the init system), dpkg-deb and dpkg-shlibdeps
# (dpkg-dev) for the .deb, groff for the man pages. Only what is missing is installed; nothing is
# upgraded. Called by scripts/test.sh; safe to run again.
set -euo pipefail
missing=()
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
command -v dpkg-shlibdeps >/dev/null 2>&1 || missing+=(dpkg-dev)
command -v groff >/dev/null 2>&1 || missing+=(groff-base)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "ensure-test-deps.sh: missing ${missing[*]}; as root: apt-get install --no-install-recommends ${missing[*]}" >&2
    echo "ensure-test-deps.sh: the tests that need them are skipped (OOM_ADJUST_REQUIRE_ALL_TESTS=1 fails them)" >&2
    exit 0
fi
echo "ensure-test-deps.sh: installing ${missing[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
