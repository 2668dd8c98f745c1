#!/usr/bin/env bash
# scripts/bench.sh: measures oom-adjust against a minimal C reference on this machine, from the kernel's
# own tracepoints. Needs root (the proc connector, tracefs, SCHED_FIFO), gcc and the Linux UAPI headers.
#
# What it measures (figures; the summary marks each target met or missed, and --check makes a missed
# one the exit status):
#   1. exec → adjust latency, idle and during an exec storm. A private tracefs instance
#      (instances/oa-bench-PID, trace_clock mono) records sched:sched_process_exec and
#      oom:oom_score_adj_update; latency = update time − exec time for the same pid, in ns from the raw
#      ring buffer. An update before the exec tracepoint (acted on the fork, or on the new comm early)
#      counts as 0 and is counted as "early"; a probe with no update is "missed". Probes are copies of
#      /bin/sleep under two names unique to the run, spawned alternately: one named in the agent's rule
#      (score=123), one in the reference's (124). Agent (release build, --realtime-priority P) and the
#      reference listener (scripts/bench/reference.c, compiled here, SCHED_FIFO P, memory locked) run
#      side by side and both see every event. The storm is parallel posix_spawn loops of /bin/true,
#      bounded in time.
#   2. CPU% of each during the storm (utime+stime from /proc/PID/stat) and VmRSS / RssAnon after it.
#   3. Memory stability: the agent's RssAnon before and after N process events (an exec loop).
#   4. Allocations on the event path: uprobes on libc's allocators, filtered to the agent's pid, during
#      an exec storm of names no rule matches; reported as allocator calls per received datagram.
#   5. Sweep time: with N extra sleeping processes, `oom-adjust once` as a whole process against a
#      minimal C sweep (getdents /proc, openat each /proc/PID, read ns/pid, comm and oom_score_adj), median of
#      several alternating runs; and `oom-adjust rank` over the same processes (each named by a rule),
#      median of as many runs.
#   6. Cost of a large rule set: two agents side by side, one with a single rule, one with N exact
#      rules and G globs (literal prefixes, a few bracket, suffix-only and unanchored ones), each
#      with its own probe name; idle and storm latency of both, their CPU during the storm, the big
#      one's allocator calls per unmatched datagram (comms that walk its glob index and miss), and
#      `check` and a SIGHUP reload of the big config, timed.
#
# Layout: this file is the entry point, the order of the phases and the summary; scripts/bench/lib.sh
# the shared part (options, the EXIT trap, background processes, statistics, tracefs, the listeners,
# storms, the agent's counters, targets, JSON); one file per phase (scripts/bench/latency.sh for 1
# and 2, memory.sh, alloc.sh, sweep.sh, rules.sh), each defining phase_NAME and summary_NAME; the C
# reference and helper in scripts/bench/reference.c, built by scripts/bench/compile.sh (-Wall -Wextra
# -Werror, which scripts/test.sh runs too).
#
# Safety: it touches only processes it spawned, under names unique to the run; every loop is bounded in
# count and time; an EXIT trap kills and reaps all it started, removes the uprobes and the tracefs
# instance (and unmounts tracefs if it mounted it). All values written are >= 0, so it needs no
# CAP_SYS_RESOURCE. It never reads etc/oom_adjust.conf.
#
# Usage: scripts/bench.sh [options]
#   --quick               a short run: 60 probes per phase, 2,000 sleepers, 20,000 events, 3 sweep runs
#   --probes N            probes per listener per phase (default 300)
#   --gap-ms N            pause between two probes (default 15)
#   --storm-loops N       parallel exec loops in the storm (default: number of CPUs)
#   --sweep-procs N       extra sleeping processes for the sweep timing (default 10000)
#   --sweep-runs N        timed runs of each sweep; the median is reported (default 7)
#   --mem-events N        process events for the memory check (default 100000; each exec is 2: fork, exec)
#   --alloc-execs N       execs in the allocation check (default 5000)
#   --rules N             exact rules in the large rule set of phase 6 (default 10000)
#   --rules-globs N       globs in it (default 500)
#   --priority N          SCHED_FIFO priority of both listeners (default 10)
#   --agent PATH          use this oom-adjust binary instead of building one
#   --scratch-path DIR    SwiftPM scratch path for the release build (default .build-bench)
#   --skip PHASES         comma-separated phases to skip: latency,memory,alloc,sweep,rules
#   --keep                keep the temporary directory (traces, logs) and print its path
#   --json PATH           write every figure and each target's value, limit and verdict as JSON to PATH
#                         (default: a new /tmp/oa-bench-results.XXXXXX.json); the path is printed at the end
#   --check               exit 3 when a target is missed (or has no figure), naming it; 0 when all are met
# Documented in README.md, "Benchmarks".
set -euo pipefail

BENCH_MAIN=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
BENCH_DIR=$(dirname "$BENCH_MAIN")/bench
# shellcheck source=scripts/bench/lib.sh
source "$BENCH_DIR/lib.sh"
# The phases only define functions (phase_NAME, summary_NAME, and what those share) when sourced.
# shellcheck source=scripts/bench/latency.sh
source "$BENCH_DIR/latency.sh"
# shellcheck source=scripts/bench/memory.sh
source "$BENCH_DIR/memory.sh"
# shellcheck source=scripts/bench/alloc.sh
source "$BENCH_DIR/alloc.sh"
# shellcheck source=scripts/bench/sweep.sh
source "$BENCH_DIR/sweep.sh"
# shellcheck source=scripts/bench/rules.sh
source "$BENCH_DIR/rules.sh"
parse_options "$@"

cd "$BENCH_DIR/../.."
[[ $(id -u) == 0 ]] || { echo "bench: needs root (proc connector, tracefs, SCHED_FIFO)" >&2; exit 1; }
command -v gcc >/dev/null || { echo "bench: needs gcc" >&2; exit 1; }
start_cleanup
build_helper
if ! skipped sweep; then sweep_limits; fi
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
build_agent

# Names unique to this run, each a whole comm (at most 15 bytes).
TAG="oab$$"
NAME_A="$TAG-a" # the agent's probe
NAME_R="$TAG-r" # the reference's probe
NAME_I="$TAG-i" # the sleepers of the sweep timing
VALUE_A=123 VALUE_R=124
cp /bin/sleep "$TMP/$NAME_A"
cp /bin/sleep "$TMP/$NAME_R"
printf '# bench %s: only names unique to this run\n%s score=%d\n' "$TAG" "$NAME_A" "$VALUE_A" >"$TMP/agent.conf"
"$AGENT" check --config "$TMP/agent.conf" >/dev/null || fail "the agent rejects its bench config"

setup_tracefs
start_listeners
if ! skipped latency; then phase_latency; fi
if ! skipped memory; then phase_memory; fi
if ! skipped alloc; then phase_alloc; fi
stop_listeners
if ! skipped sweep; then phase_sweep; fi
if ! skipped rules; then phase_rules; fi

# ---- summary -------------------------------------------------------------------------------------
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
echo
echo "oom-adjust bench, $(uname -r), $(nproc) CPUs, agent $AGENT"
echo "both listeners SCHED_FIFO $PRIORITY, memory locked; probes: $PROBES per listener per phase, ${GAP_MS} ms apart"
echo "load average at start $LOAD_START, at end $LOAD_END (other work on the machine shows up in every figure)"
echo
row "" agent reference ratio target
if ! skipped latency; then summary_latency; fi
if ! skipped memory; then summary_memory; fi
if ! skipped alloc; then summary_alloc; fi
if ! skipped sweep; then summary_sweep; fi
echo "  reference: $(v ref_summary)"
if ! skipped rules; then summary_rules; fi

# ---- results -------------------------------------------------------------------------------------
[[ -n $JSON ]] || JSON=$(mktemp /tmp/oa-bench-results.XXXXXX.json)
write_json "$JSON"
echo
echo "results (JSON): $JSON"
if ((CHECK)); then check_targets; fi
