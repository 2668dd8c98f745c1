#!/usr/bin/env bash
# scripts/bench/compile.sh OUTPUT: compiles the bench's C reference and helper (scripts/bench/reference.c)
# into OUTPUT. The one place of its flags: scripts/bench.sh runs it for every bench, scripts/test.sh (so
# CI) into a temporary directory, so a warning fails the tests before it can skew a benchmark. It
# includes the shim's CNetlink.h for the proc-connector subscription layout instead of a copy of it.
# Needs gcc and the Linux UAPI headers (linux-libc-dev).
set -euo pipefail
(($# == 1)) || { echo "usage: scripts/bench/compile.sh OUTPUT" >&2; exit 64; }
root=$(cd "$(dirname "$0")/../.." && pwd)
exec gcc -O2 -Wall -Wextra -Werror -I "$root/CNetlink/include" -o "$1" "$root/scripts/bench/reference.c"
