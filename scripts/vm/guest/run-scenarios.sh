#!/bin/sh
# The scenario runner inside the VM, started by oavm-runner.service once multi-user.target is reached.
# Runs the scenarios listed in /opt/oavm/selection (ids such as 1, 2b), in that order, each under a
# deadline; writes what each printed (LOG lines) and one RESULT line per scenario to /dev/ttyS1, which
# the host reads; then powers the VM off. Everything also goes to the console (ttyS0).
set -u
OAVM=/opt/oavm
exec 3>/dev/ttyS1
stty -F /dev/ttyS1 -onlcr 2>/dev/null
report() { printf '%s\n' "$*" >&3; printf '%s\n' "$*"; }

# `prepare ID`: what every scenario but the first may assume: the package installed (scenario 1
# installs it itself, on a VM that has never seen it) and the unit running.
prepare() {
    . "$OAVM/lib.sh"
    trap - EXIT
    if [ "$1" = 1 ]; then
        ! installed || { echo "the package is already installed; scenario 1 must come first"; return 1; }
        return 0
    fi
    if ! installed; then
        install_package || { cat "$OAVM/dpkg.log"; return 1; }
    fi
    active_and_running || systemctl restart "$UNIT"
}

report "INFO Linux $(uname -r)"
report "INFO $(systemctl --version | sed -n 1p)"
report "INFO booted in $(cut -d' ' -f1 /proc/uptime) s"
mkdir -p "$OAVM/log"
for id in $(cat "$OAVM/selection"); do
    script=$(ls "$OAVM"/scenarios/*.sh | grep "/0*$id-" | head -n 1)
    log=$OAVM/log/$id.log
    began=$(cut -d' ' -f1 /proc/uptime)
    if [ -z "$script" ]; then
        echo "FAIL: no scenario $id in the VM" >"$log"
    elif ! (prepare "$id") >"$log" 2>&1; then
        echo "FAIL: setting up for scenario $id failed" >>"$log"
    else
        timeout --kill-after=10 "${OAVM_SCENARIO_TIMEOUT:-300}" sh "$script" >>"$log" 2>&1
        status=$?
        [ "$status" -ne 124 ] && [ "$status" -ne 137 ] || echo "FAIL: timed out" >>"$log"
        [ "$status" -eq 0 ] || tail -n 1 "$log" | grep -q '^FAIL: ' || echo "FAIL: exited with status $status" >>"$log"
    fi
    ended=$(cut -d' ' -f1 /proc/uptime)
    sed "s/^/LOG $id /" "$log" >&3
    last=$(tail -n 1 "$log")
    case "$last" in
    "pass: "*) outcome=pass; last=${last#pass: } ;;
    "FAIL: "*) outcome=fail; last=${last#FAIL: } ;;
    *) outcome=fail; last="ended without a verdict: $last" ;;
    esac
    report "RESULT $id $outcome $(awk -v a="$began" -v b="$ended" 'BEGIN { printf "%.1f", b - a }') $last"
done
report DONE
exec 3>&-
systemctl poweroff --force --force
