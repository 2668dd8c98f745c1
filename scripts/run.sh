#!/usr/bin/env bash
# Builds oom-adjust and runs the agent in the foreground, verbose, with the shipped etc/oom_adjust.conf.
# Every matched exec is traced on stderr. Stop it with Ctrl-C. Extra arguments go to `oom-adjust run`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh
swift build -c release --product oom-adjust
exec .build/release/oom-adjust run --verbose --config etc/oom_adjust.conf "$@"
