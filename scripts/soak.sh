#!/usr/bin/env bash
# Runs the stress tests again and again for DURATION, larger than in CI, then prints a summary.
#
#   scripts/soak.sh DURATION [SCALE]      DURATION: 600, 600s, 45m or 8h; SCALE: default 5
#
# The stress tests (Tests/IntegrationTests, suite StressTests; root) are the overflow storm, kill -9 and
# restart, respawned workers, forced PID reuse, the reload storm and broken reloads, the OOM kills, the
# event flood and the dying crowd. SCALE multiplies their sizes: at 5 each round has two storms of
# 62,500 execs, 500 reloads, 250 respawns, 15 OOM kills each way and a flood of a million fork events
# (about 5 minutes a round on 2 cores). A round that is running when DURATION ends is finished.
# Every round's output is kept in .build-soak/TIMESTAMP/round-N.log. OOM_ADJUST_SCRATCH_PATH=DIR builds
# in DIR instead of .build (to soak beside another build).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: scripts/soak.sh DURATION [SCALE]   e.g. scripts/soak.sh 2h" >&2; exit 64; }
[[ $# -ge 1 && $# -le 2 ]] || usage
case "$1" in
    *h) limit=$(( ${1%h} * 3600 )) ;;
    *m) limit=$(( ${1%m} * 60 )) ;;
    *s) limit=${1%s} ;;
    *[!0-9]*|"") usage ;;
    *) limit=$1 ;;
esac
scale=${2:-5}
[[ $scale =~ ^[0-9]+$ && $scale -ge 1 ]] || usage
[[ $(id -u) == 0 ]] || { echo "soak.sh: the stress tests need root" >&2; exit 1; }

scripts/ensure-deps.sh
scratch=(${OOM_ADJUST_SCRATCH_PATH:+--scratch-path "$OOM_ADJUST_SCRATCH_PATH"})
swift build --build-tests "${scratch[@]}"
logs=".build-soak/$(date +%Y%m%dT%H%M%S)"
mkdir -p "$logs"
echo "soak: $1 at scale $scale; logs in $logs"

export OOM_ADJUST_STRESS_SCALE=$scale OOM_ADJUST_REQUIRE_ROOT_TESTS=1
start=$SECONDS
rounds=0
failed=()
while (( SECONDS - start < limit )); do
    rounds=$((rounds + 1))
    log="$logs/round-$rounds.log"
    if swift test --skip-build "${scratch[@]}" --filter StressTests >"$log" 2>&1; then
        echo "round $rounds passed ($((SECONDS - start)) s elapsed)"
    else
        echo "round $rounds FAILED: $log"
        failed+=("$log")
    fi
done

echo
echo "== soak summary: $rounds rounds in $((SECONDS - start)) s at scale $scale: $((rounds - ${#failed[@]})) passed, ${#failed[@]} failed"
for log in "${failed[@]}"; do
    echo "   failed: $log"
    grep -E "recorded an issue|Expectation failed" "$log" | head -5 | sed 's/^/      /'
done
# The measurements each test prints, round by round.
for kind in "overflow:" "restart:" "respawn:" "pid reuse:" "pid reuse end to end:" "reload storm:" "oom (" "flood:" "crowd:"; do
    echo "-- $kind"
    grep -h -F "$kind" "$logs"/round-*.log | sed 's/^/   /' || echo "   (none)"
done
[[ ${#failed[@]} -eq 0 ]]
