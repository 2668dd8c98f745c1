#!/usr/bin/env bash
# Builds oom-adjust and runs every test: unit tests (no root) and integration tests against the real
# kernel (root; they skip without it, unless OOM_ADJUST_REQUIRE_ROOT_TESTS=1 turns skips into failures).
# Extra arguments go to `swift test` (e.g. --filter IntegrationTests).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh
# The proc connector tests need tracefs only for benchmarks, not here.
swift build --build-tests
swift test --skip-build "$@"
