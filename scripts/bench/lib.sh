# shellcheck shell=bash
# scripts/bench/lib.sh: the orchestration scripts/bench.sh and its phases (scripts/bench/*.sh) share:
# options, the EXIT trap and what it undoes, background processes, statistics, the tracefs instance,
# the listeners, storms, the agent's counters, and the results (targets, JSON, --check). Sourced, at
# the top level (its `declare`s are global), by scripts/bench.sh only; it runs nothing by itself.

# ---- options -------------------------------------------------------------------------------------
PROBES=300 GAP_MS=15 STORM_LOOPS=$(nproc) SWEEP_PROCS=10000 SWEEP_RUNS=7 MEM_EVENTS=100000
ALLOC_EXECS=5000 PRIORITY=10 AGENT="" SCRATCH=.build-bench SKIP="" KEEP=0 RULES=10000 RULES_GLOBS=500
JSON="" CHECK=0
PROBE_LIFE=1          # seconds each probe lives: far above any latency, so a late write still lands
STORM_MAX_SECONDS=120 # no storm runs longer than this, whatever happens
IDLE_MAX_SECONDS=600  # the sleepers die by themselves after this

# The usage text is the header comment of scripts/bench.sh (BENCH_MAIN), up to its `set -euo`.
usage() { sed -n '2,/^set -euo/p' "$BENCH_MAIN" | sed '$d; s/^# \{0,1\}//'; exit "${1:-0}"; }

parse_options() {
    while (($#)); do
        case "$1" in
        --quick) PROBES=60 SWEEP_PROCS=2000 SWEEP_RUNS=3 MEM_EVENTS=20000 ALLOC_EXECS=1000 ;;
        --probes) PROBES=$2; shift ;;
        --gap-ms) GAP_MS=$2; shift ;;
        --storm-loops) STORM_LOOPS=$2; shift ;;
        --sweep-procs) SWEEP_PROCS=$2; shift ;;
        --sweep-runs) SWEEP_RUNS=$2; shift ;;
        --mem-events) MEM_EVENTS=$2; shift ;;
        --alloc-execs) ALLOC_EXECS=$2; shift ;;
        --rules) RULES=$2; shift ;;
        --rules-globs) RULES_GLOBS=$2; shift ;;
        --priority) PRIORITY=$2; shift ;;
        --agent) AGENT=$2; shift ;;
        --scratch-path) SCRATCH=$2; shift ;;
        --skip) SKIP=$2; shift ;;
        --keep) KEEP=1 ;;
        --json) JSON=$2; shift ;;
        --check) CHECK=1 ;;
        -h | --help) usage 0 ;;
        *) echo "bench: unknown option $1 (see --help)" >&2; exit 64 ;;
        esac
        shift
    done
    local n
    for n in PROBES GAP_MS STORM_LOOPS SWEEP_PROCS SWEEP_RUNS MEM_EVENTS ALLOC_EXECS PRIORITY RULES RULES_GLOBS; do
        [[ ${!n} =~ ^[0-9]+$ ]] || { n=${n,,}; echo "bench: --${n//_/-} needs a whole number" >&2; exit 64; }
    done
    # The exact names are TAG, `e` and a base-36 number of at most 4 digits, to stay within 15 bytes.
    ((RULES <= 36 ** 4 - 1 && RULES_GLOBS <= 9999)) || { echo "bench: --rules is at most 1679615 and --rules-globs 9999" >&2; exit 64; }
    ((PRIORITY >= 1 && PRIORITY <= 99)) || { echo "bench: --priority must be 1..99" >&2; exit 64; }
    # Relative to where the bench was started, not to the repository it changes into.
    [[ -z $JSON || $JSON == /* ]] || JSON=$PWD/$JSON
}
skipped() { [[ ",$SKIP," == *",$1,"* ]]; }

log() { printf '%s bench: %s\n' "$(date +%T)" "$*" >&2; }
fail() { log "error: $*"; exit 1; }

# ---- everything the EXIT trap undoes -------------------------------------------------------------
TRACEFS=/sys/kernel/tracing
INSTANCE=""
MOUNTED_TRACEFS=0
UPROBE_GROUP="oab_$$"
UPROBES=()
CHILDREN=() # every process started in the background, by pid
TMP=""

# A pid this shell started may have exited and been reused by the time it is signalled (the storms
# churn through pid_max quickly), so only a process whose parent is this shell is ever signalled.
is_child() { [[ -r /proc/$1/stat && $(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $2 }') == "$$" ]]; }
signal_child() { if is_child "$2"; then kill "-$1" "$2" 2>/dev/null || true; fi; }

cleanup() {
    local status=$? pid probe
    trap - EXIT INT TERM
    set +e
    for pid in "${CHILDREN[@]}"; do signal_child TERM "$pid"; done
    for _ in {1..25}; do
        local alive=0
        for pid in "${CHILDREN[@]}"; do is_child "$pid" && alive=1; done
        ((alive)) || break
        sleep 0.2
    done
    for pid in "${CHILDREN[@]}"; do signal_child KILL "$pid"; done
    wait 2>/dev/null
    if [[ -n $INSTANCE && -d $INSTANCE ]]; then
        echo 0 >"$INSTANCE/tracing_on"
        echo 0 >"$INSTANCE/events/enable"
    fi
    for probe in "${UPROBES[@]}"; do echo "-:$probe" >>"$TRACEFS/uprobe_events"; done
    [[ -n $INSTANCE && -d $INSTANCE ]] && rmdir "$INSTANCE"
    ((MOUNTED_TRACEFS)) && umount "$TRACEFS"
    if [[ -n $TMP ]]; then
        if ((KEEP)); then log "kept $TMP"; else rm -rf "$TMP"; fi
    fi
    exit "$status"
}

# Makes the temporary directory and sets the traps that undo everything; the first thing after the checks.
start_cleanup() {
    TMP=$(mktemp -d /tmp/oa-bench.XXXXXX)
    trap cleanup EXIT
    trap 'exit 130' INT TERM
}

# Starts "$@" in the background with stdout and stderr in files; its pid lands in LAST_PID.
start_bg() {
    local out=$1 err=$2
    shift 2
    "$@" >"$out" 2>"$err" </dev/null &
    LAST_PID=$!
    CHILDREN+=("$LAST_PID")
}

# Waits until FILE holds a line matching PATTERN, for at most SECONDS.
wait_for_line() {
    local file=$1 pattern=$2 seconds=$3 i
    for ((i = 0; i < seconds * 20; i++)); do
        grep -q -- "$pattern" "$file" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

# ---- measures and statistics ---------------------------------------------------------------------
status_kb() { awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/status"; }
# CPU time in ns: the scheduler's own sum (/proc/PID/schedstat, field 1), finer than utime + stime's
# clock ticks, which a few seconds of 10 % CPU would give to within a few per cent only.
cpu_ns() { awk '{ print $1 }' "/proc/$1/schedstat"; }
now_ns() { echo $((${EPOCHREALTIME/./} * 1000)); }

# "n p50 p90 p99 max" in microseconds, nearest-rank, of a file of nanosecond values.
percentiles() {
    sort -n "$1" | awk '
        function rank(p,  i) { i = int((p * NR + 99) / 100); return i < 1 ? 1 : i }
        { v[NR] = $1 }
        END {
            if (NR == 0) { print 0, "-", "-", "-", "-"; exit }
            printf "%d %.1f %.1f %.1f %.1f\n", NR, v[rank(50)] / 1000, v[rank(90)] / 1000, v[rank(99)] / 1000, v[NR] / 1000
        }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }

declare -gA R # results, for the summary and the JSON
v() { echo "${R[$1]:--}"; }

# ---- the helper: reference listener, sweep, sleepers, storm, probes, timer, ring-buffer reader ----
# scripts/bench/reference.c, compiled for this run (scripts/bench/compile.sh holds the flags).
build_helper() {
    HELPER=$TMP/oa-bench-helper
    "$BENCH_DIR/compile.sh" "$HELPER" || fail "cannot compile the helper (needs gcc and linux-libc-dev)"
}

# ---- the agent -----------------------------------------------------------------------------------
build_agent() {
    if [[ -z $AGENT ]]; then
        log "building the release agent (swift build -c release --scratch-path $SCRATCH)"
        swift build -c release --scratch-path "$SCRATCH" --product oom-adjust >"$TMP/build.log" 2>&1 ||
            { tail -20 "$TMP/build.log" >&2; fail "release build failed"; }
        AGENT=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/oom-adjust
    fi
    [[ -x $AGENT ]] || fail "no agent binary at $AGENT"
}

# ---- tracefs: a private instance -----------------------------------------------------------------
# The byte offset of field NAME in an event's record, from its format file ("field:pid_t pid; offset:12;").
field_offset() { awk -v f="$2;" '{ for (i = 1; i < NF; i++) if ($i == f && $(i + 1) ~ /^offset:/) { o = $(i + 1); gsub(/[^0-9]/, "", o); print o; exit } }' "$1/format"; }

# Makes INSTANCE, recording the execs of files named TAG-* and the oom_score_adj updates of such comms,
# and sets TRACE_ARGS, what the helper's tracedump needs to read its raw ring buffer.
setup_tracefs() {
    local arg
    if [[ ! -d $TRACEFS/instances ]]; then
        mount -t tracefs nodev "$TRACEFS" || fail "cannot mount tracefs at $TRACEFS"
        MOUNTED_TRACEFS=1
    fi
    INSTANCE=$TRACEFS/instances/oa-bench-$$
    mkdir "$INSTANCE"
    echo 0 >"$INSTANCE/tracing_on"
    echo mono >"$INSTANCE/trace_clock"
    echo 4096 >"$INSTANCE/buffer_size_kb"
    EXEC_EVENT=$INSTANCE/events/sched/sched_process_exec
    OOM_EVENT=$INSTANCE/events/oom/oom_score_adj_update
    [[ -d $EXEC_EVENT && -d $OOM_EVENT ]] || fail "tracefs lacks sched:sched_process_exec or oom:oom_score_adj_update"
    echo "filename ~ \"*/$TAG-*\"" >"$EXEC_EVENT/filter"
    echo "comm ~ \"$TAG-*\"" >"$OOM_EVENT/filter"
    echo 1 >"$EXEC_EVENT/enable"
    echo 1 >"$OOM_EVENT/enable"
    TRACE_ARGS=(
        "$INSTANCE" "$(find "$INSTANCE/per_cpu" -maxdepth 1 -name 'cpu*' | wc -l)" "$(($(cat "$INSTANCE/buffer_subbuf_size_kb" 2>/dev/null || echo 4) * 1024))"
        "$(cat "$EXEC_EVENT/id")" "$(field_offset "$EXEC_EVENT" pid)" "$(field_offset "$EXEC_EVENT" filename)"
        "$(cat "$OOM_EVENT/id")" "$(field_offset "$OOM_EVENT" pid)" "$(field_offset "$OOM_EVENT" 'comm[16]')"
        "$(field_offset "$OOM_EVENT" oom_score_adj)"
    )
    for arg in "${TRACE_ARGS[@]}"; do [[ -n $arg ]] || fail "cannot read the tracepoint formats"; done
}
# Empties the ring buffer (reading trace_pipe_raw consumes it) into FILE, one event a line.
drain_trace() { "$HELPER" tracedump "${TRACE_ARGS[@]}" >"$1"; }

# ---- the two listeners of phases 1-4 ----------------------------------------------------------------
# The agent (rule NAME_A) and the reference (NAME_R), side by side; AGENT_PID and REF_PID.
start_listeners() {
    start_bg "$TMP/agent.out" "$TMP/agent.log" "$AGENT" run --config "$TMP/agent.conf" --realtime-priority "$PRIORITY"
    AGENT_PID=$LAST_PID
    start_bg "$TMP/ref.out" "$TMP/ref.log" "$HELPER" ref "$NAME_R" "$VALUE_R" "$PRIORITY"
    REF_PID=$LAST_PID
    wait_for_line "$TMP/agent.log" "reason=start-up" 30 || { cat "$TMP/agent.log" >&2; fail "the agent did not start"; }
    wait_for_line "$TMP/ref.out" "^ready" 30 || { cat "$TMP/ref.log" >&2; fail "the reference did not start"; }
    log "agent pid $AGENT_PID and reference pid $REF_PID listening, both SCHED_FIFO $PRIORITY with memory locked"
    R[rss_start_agent]=$(status_kb "$AGENT_PID" RssAnon)
    R[rss_start_ref]=$(status_kb "$REF_PID" RssAnon)
}

# The listeners' part is over; R[ref_summary] is the reference's own count of what it did.
stop_listeners() {
    signal_child TERM "$AGENT_PID"
    signal_child TERM "$REF_PID"
    wait "$AGENT_PID" || log "warning: the agent exited with status $?"
    wait "$REF_PID" || true
    R[ref_summary]=$(tail -1 "$TMP/ref.log")
}

# ---- the agent's counters ------------------------------------------------------------------------
# Asks an agent (PID, logging to LOG; the bench's own agent by default) for its counters (SIGUSR1) and
# prints its `datagrams` count. The one place that reads the counters: the phases call only this.
agent_datagrams() {
    local pid=${1:-$AGENT_PID} log=${2:-$TMP/agent.log} before i
    before=$(grep -c ' counters ' "$log" || true)
    kill -USR1 "$pid"
    for ((i = 0; i < 200; i++)); do
        (($(grep -c ' counters ' "$log" || true) > before)) && break
        sleep 0.05
    done
    grep ' counters ' "$log" | tail -1 | sed -n 's/.* datagrams=\([0-9]*\).*/\1/p'
}

# ---- storms --------------------------------------------------------------------------------------
# Starts STORM_LOOPS exec loops of /bin/true (or PATH), COUNT execs each at most, never longer than
# STORM_MAX_SECONDS; their pids land in STORM_PIDS.
start_storm() {
    local count=$1 path=${2:-/bin/true} i
    STORM_PIDS=()
    for ((i = 0; i < STORM_LOOPS; i++)); do
        start_bg "$TMP/storm.$i" /dev/null "$HELPER" storm "$STORM_MAX_SECONDS" "$count" "$path"
        STORM_PIDS+=("$LAST_PID")
    done
}
# Stops the loops (or waits for them to finish, given `wait`); sets STORM_RATE (execs per second) and
# STORM_EXECS. Not in a subshell: only this shell can wait for its children.
finish_storm() {
    local pid
    [[ ${1:-} == wait ]] || for pid in "${STORM_PIDS[@]}"; do signal_child TERM "$pid"; done
    for pid in "${STORM_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    read -r STORM_RATE STORM_EXECS < <(cat "$TMP"/storm.* | awk '$1 == "execs" && $4 > 0 { rate += $2 / ($4 / 1e9); n += $2 } END { printf "%.0f %d\n", rate, n }')
    rm -f "$TMP"/storm.*
}

# ---- results: the summary's rows, its targets, the JSON, --check ---------------------------------
row() { printf '%-34s %12s %12s %8s   %s\n' "$@"; }

# Judges one target and records it for the JSON and --check: KEY (a name for both), WHAT (a sentence),
# VALUE (a figure or "-"), LIMIT; met when VALUE <= LIMIT, n/a when there is no figure. Leaves the
# verdict in VERDICT for the summary's row. Not in a subshell, or the record would be lost.
declare -ga TARGETS=()
declare -gA TARGET_WHAT=() TARGET_VALUE=() TARGET_LIMIT=() TARGET_VERDICT=()
target() {
    local key=$1 what=$2 value=$3 limit=$4
    VERDICT=$(awk -v x="$value" -v lim="$limit" 'BEGIN { if (x == "-") print "n/a"; else print (x + 0 <= lim + 0 ? "met" : "MISSED") }')
    [[ -v TARGET_VERDICT[$key] ]] || TARGETS+=("$key")
    TARGET_WHAT[$key]=$what TARGET_VALUE[$key]=$value TARGET_LIMIT[$key]=$limit TARGET_VERDICT[$key]=$VERDICT
}

# A JSON value: a number as it is, "-" or nothing as null, anything else a string, escaped.
json_value() {
    local s=$1
    if [[ -z $s || $s == - ]]; then
        printf 'null'
    elif [[ $s =~ ^-?(0|[1-9][0-9]*)(\.[0-9]+)?$ ]]; then
        printf '%s' "$s"
    else
        json_string "$s"
    fi
}
json_string() {
    local s=$1
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\n'/\\n}
    s=${s//$'\r'/\\r}
    s=${s//$'\t'/\\t}
    s=${s//[[:cntrl:]]/}
    printf '"%s"' "$s"
}

# Writes the run's settings, every figure of R and every target judged into FILE.
write_json() {
    local file=$1 key sep first=1 verdict met phase
    {
        printf '{\n  "bench": {\n'
        printf '    "kernel": %s,\n' "$(json_string "$(uname -r)")"
        printf '    "cpus": %s,\n' "$(nproc)"
        printf '    "agent": %s,\n' "$(json_string "$AGENT")"
        printf '    "priority": %s, "probes": %s, "gap_ms": %s, "storm_loops": %s,\n' "$PRIORITY" "$PROBES" "$GAP_MS" "$STORM_LOOPS"
        printf '    "sweep_procs": %s, "sweep_runs": %s, "mem_events": %s, "alloc_execs": %s,\n' "$SWEEP_PROCS" "$SWEEP_RUNS" "$MEM_EVENTS" "$ALLOC_EXECS"
        printf '    "rules": %s, "rules_globs": %s,\n' "$RULES" "$RULES_GLOBS"
        printf '    "load_start": %s, "load_end": %s,\n' "$(json_string "$LOAD_START")" "$(json_string "$LOAD_END")"
        printf '    "phases_skipped": ['
        sep=""
        for phase in latency memory alloc sweep rules; do
            skipped "$phase" && { printf '%s%s' "$sep" "$(json_string "$phase")"; sep=", "; }
        done
        printf ']\n  },\n  "figures": {'
        while IFS= read -r key; do
            ((first)) || printf ','
            first=0
            printf '\n    %s: %s' "$(json_string "$key")" "$(json_value "${R[$key]}")"
        done < <(printf '%s\n' "${!R[@]}" | LC_ALL=C sort)
        printf '\n  },\n  "targets": ['
        first=1
        for key in "${TARGETS[@]}"; do
            ((first)) || printf ','
            first=0
            verdict=${TARGET_VERDICT[$key]}
            case $verdict in met) met=true ;; MISSED) met=false ;; *) met=null ;; esac
            printf '\n    {"name": %s, "what": %s, "value": %s, "limit": %s, "comparison": "<=", "verdict": %s, "met": %s}' \
                "$(json_string "$key")" "$(json_string "${TARGET_WHAT[$key]}")" "$(json_value "${TARGET_VALUE[$key]}")" \
                "$(json_value "${TARGET_LIMIT[$key]}")" "$(json_string "${verdict,,}")" "$met"
        done
        printf '\n  ]\n}\n'
    } >"$file"
}

# --check: 0 when every target judged was met, 3 (after naming them) when any was missed or had no
# figure to judge.
check_targets() {
    local key bad=()
    for key in "${TARGETS[@]}"; do
        [[ ${TARGET_VERDICT[$key]} == met ]] || bad+=("$key")
    done
    if ((${#bad[@]} == 0)); then
        echo "check: all ${#TARGETS[@]} targets met"
        return 0
    fi
    echo "check: ${#bad[@]} of ${#TARGETS[@]} targets not met:"
    for key in "${bad[@]}"; do
        echo "  ${TARGET_VERDICT[$key]}: $key, ${TARGET_WHAT[$key]} (${TARGET_VALUE[$key]}, limit ${TARGET_LIMIT[$key]})"
    done
    return 3
}
