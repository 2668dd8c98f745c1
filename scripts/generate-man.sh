#!/usr/bin/env bash
# Writes the man pages into OUTDIR: oom-adjust.8, generated from BINARY's own help by
# swift-argument-parser's generate-manual (the tool behind its GenerateManual plugin), so it never
# drifts from the options, with etc/man/oom-adjust.8.supplement appended; and the hand-written
# etc/man/oom_adjust.conf.5.
#
#   scripts/generate-man.sh OUTDIR BINARY [SCRATCH_PATH]
#
# The tool is run directly rather than through `swift package plugin generate-manual`, because the
# plugin rebuilds oom-adjust with its own flags (without --static-swift-stdlib) over the binary being
# documented. SCRATCH_PATH is where generate-manual is built (default .build-release).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: scripts/generate-man.sh OUTDIR BINARY [SCRATCH_PATH]}
binary=${2:?usage: scripts/generate-man.sh OUTDIR BINARY [SCRATCH_PATH]}
scratch=${3:-.build-release}
mkdir -p "$out"

# The same flags as the oom-adjust build: different ones would make SwiftPM rebuild everything.
swift build -c release --static-swift-stdlib --product generate-manual --scratch-path "$scratch" >/dev/null
# A reproducible date: SOURCE_DATE_EPOCH's (dpkg-buildpackage sets it from debian/changelog), else
# the last commit's, else today's.
if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
    date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%F)
else
    date=$(git log -1 --format=%cs 2>/dev/null || date -u +%F)
fi
generated=$(mktemp -d)
trap 'rm -rf "$generated"' EXIT
"$scratch/release/generate-manual" "$binary" --section 8 --date "$date" --output-directory "$generated"
[ -f "$generated/oom-adjust.8" ] || { echo "generate-man.sh: generate-manual wrote no oom-adjust.8" >&2; exit 1; }
{
    cat "$generated/oom-adjust.8"
    # The generator may leave the last line unterminated.
    echo
    cat etc/man/oom-adjust.8.supplement
} >"$out/oom-adjust.8"
cp etc/man/oom_adjust.conf.5 "$out/oom_adjust.conf.5"
