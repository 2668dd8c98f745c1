#!/usr/bin/env bash
# Builds oom-adjust and runs every test: unit tests (no root) and integration tests against the real
# kernel (root; they skip without it, unless OOM_ADJUST_REQUIRE_ROOT_TESTS=1 turns skips into failures).
# Extra arguments go to `swift test` (e.g. --filter IntegrationTests), which then runs once.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh
scripts/ensure-test-deps.sh
# The bench's C reference and helper (scripts/bench/reference.c), compiled with the bench's own flags
# (-Wall -Wextra -Werror, against the shim's CNetlink.h) and thrown away: a second, and a change to the
# shim's header or a new warning breaks the tests, not the next benchmark. Needs gcc and the UAPI headers.
bench_tmp=$(mktemp -d)
scripts/bench/compile.sh "$bench_tmp/oa-bench-helper" || { rm -rf "$bench_tmp"; exit 1; }
rm -rf "$bench_tmp"
# The packaging and container tests install, package and containerize release builds (scripts/install.sh
# and build-image.sh build in .build-release, package-deb.sh in .build-deb). Built here, before the
# tests run in parallel, they do not compete with timing-sensitive tests; there they are then
# up-to-date checks. OOM_ADJUST_SKIP_PACKAGING_TESTS=1 skips the packaging tests for a quick run.
if [ "${OOM_ADJUST_SKIP_PACKAGING_TESTS:-0}" != 1 ]; then
    for product in oom-adjust generate-manual; do
        swift build -c release --static-swift-stdlib --product "$product" --scratch-path .build-release
    done
    scripts/package-deb.sh >/dev/null
fi
# The proc connector tests need tracefs only for benchmarks, not here.
swift build --build-tests
if [ $# -gt 0 ]; then
    swift test --skip-build "$@"
else
    # Two phases: everything else first, in parallel; then the stress tests (storms that overflow every
    # agent's socket on the machine, floods, OOM kills), on their own, so they cannot upset the others'
    # event-by-event checks. OOM_ADJUST_STRESS_SCALE=N makes them N times larger (scripts/soak.sh).
    swift test --skip-build --skip StressTests
    swift test --skip-build --filter StressTests
fi
