#!/usr/bin/env bash
# Fuzzes the proc-connector datagram decoder (CNetlink_decode) and the config parser.
#
#   scripts/fuzz.sh [--seconds N] [--runs M] [--ci] [TARGET...]     TARGET: decode, config (default both)
#
# Two builds of the oom-adjust-fuzz target, in the scratch path .build-fuzz (gitignored):
#   asan       the built-in driver under AddressSanitizer (Swift and the C shim): random and mutated
#              inputs, each in an allocation of its exact size, M inputs or N seconds per target;
#   libfuzzer  coverage-guided libFuzzer (-sanitize=fuzzer,address) when the toolchain has it, N seconds
#              (and at most M runs) per target, its corpus kept in .build-fuzz/corpus/TARGET.
# --ci: the short bounded pass CI runs (30 s and 200,000 inputs per target and build).
# A find stops the run with a sanitizer report or a trap; libFuzzer saves the input as crash-* in the
# current directory. Replay one: .build-fuzz/libfuzzer/debug/oom-adjust-fuzz TARGET crash-FILE
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=300
runs=10000000
targets=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        --ci) seconds=30; runs=200000; shift ;;
        decode|config) targets+=("$1"); shift ;;
        *) echo "usage: scripts/fuzz.sh [--seconds N] [--runs M] [--ci] [decode|config...]" >&2; exit 64 ;;
    esac
done
[[ ${#targets[@]} -gt 0 ]] || targets=(decode config)

scripts/ensure-deps.sh
# Swift's own crash handler would hold the sanitizers' and libFuzzer's reports back (and can linger).
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}

seeds() {
    case "$1" in
        decode) echo Tests/Fixtures/datagrams ;;
        config) echo Tests/Fixtures/configs ;;
    esac
}

started=$SECONDS
echo "== AddressSanitizer build"
swift build --scratch-path .build-fuzz/asan --product oom-adjust-fuzz \
    -Xswiftc -sanitize=address -Xcc -fsanitize=address -Xcc -fno-omit-frame-pointer
echo "   built in $((SECONDS - started)) s"
for target in "${targets[@]}"; do
    # shellcheck disable=SC2046
    .build-fuzz/asan/debug/oom-adjust-fuzz "$target" --runs "$runs" --seconds "$seconds" --seed "$RANDOM$RANDOM" $(seeds "$target")
done

fuzzer_runtime="$(dirname "$(readlink -f "$(command -v swift)")")/../lib/swift/clang/lib/linux/libclang_rt.fuzzer-$(uname -m).a"
if [[ ! -f "$fuzzer_runtime" ]]; then
    echo "== libFuzzer: this toolchain has no $fuzzer_runtime; skipped"
    exit 0
fi
started=$SECONDS
echo "== libFuzzer build"
# fuzzer-no-link instruments the C shim for coverage; the export lets main find LLVMFuzzerRunDriver.
swift build --scratch-path .build-fuzz/libfuzzer --product oom-adjust-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address \
    -Xlinker --export-dynamic-symbol=LLVMFuzzerRunDriver
echo "   built in $((SECONDS - started)) s"
for target in "${targets[@]}"; do
    corpus=".build-fuzz/corpus/$target"
    mkdir -p "$corpus"
    # shellcheck disable=SC2046
    .build-fuzz/libfuzzer/debug/oom-adjust-fuzz "$target" -max_total_time="$seconds" -runs="$runs" \
        -max_len=65536 -print_final_stats=1 "$corpus" $(seeds "$target")
done
