#!/usr/bin/env bash
# Installs what the service, packaging and deployment tests use beyond the build's needs, only what is
# missing (nothing is upgraded); called by scripts/test.sh, safe to run again:
#   systemd-analyze (the systemd package, to verify etc/oom-adjust.service; installing it does not
#     start systemd, and without --install-recommends it does not replace the init system),
#   dpkg-buildpackage and dpkg-shlibdeps (dpkg-dev), dh (debhelper), lintian: the .deb,
#   groff for the man pages,
#   podman and runc: the container image and the container tests (crun, podman's default, refuses
#     some hybrid cgroup layouts; the tests run podman --runtime runc),
#   kubernetes-validate from PyPI, in a virtualenv at .build-tools/venv (python3-venv): validates
#     deploy/kubernetes/daemonset.yaml against the Kubernetes API schema it bundles, offline.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
command -v dpkg-shlibdeps >/dev/null 2>&1 || missing+=(dpkg-dev)
command -v dh >/dev/null 2>&1 || missing+=(debhelper)
command -v lintian >/dev/null 2>&1 || missing+=(lintian)
command -v groff >/dev/null 2>&1 || missing+=(groff-base)
command -v podman >/dev/null 2>&1 || missing+=(podman)
command -v runc >/dev/null 2>&1 || missing+=(runc)
/usr/bin/python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "ensure-test-deps.sh: missing ${missing[*]}; as root: apt-get install --no-install-recommends ${missing[*]}" >&2
        echo "ensure-test-deps.sh: the tests that need them are skipped (OOM_ADJUST_REQUIRE_ALL_TESTS=1 fails them)" >&2
        exit 0
    fi
    echo "ensure-test-deps.sh: installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

venv=.build-tools/venv
validator=kubernetes-validate==1.37.0
if ! "$venv/bin/pip" show kubernetes-validate 2>/dev/null | grep -qx 'Version: 1.37.0'; then
    echo "ensure-test-deps.sh: installing $validator into $venv" >&2
    rm -rf "$venv"
    /usr/bin/python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$validator"
fi
