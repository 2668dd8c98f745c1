# shellcheck shell=bash
# scripts/bench/sweep.sh, phase 5: sweep time with many processes, `oom-adjust once` against a minimal
# C sweep, and `oom-adjust rank`. Sourced by scripts/bench.sh (after lib.sh).

# Limits first: the sweep timing needs SWEEP_PROCS more processes than are running now. Lowers
# SWEEP_PROCS to what pid_max and ulimit -u leave room for.
sweep_limits() {
    local pid_max nproc_limit tasks room
    pid_max=$(cat /proc/sys/kernel/pid_max)
    nproc_limit=$(ulimit -u)
    [[ $nproc_limit == unlimited ]] && nproc_limit=$pid_max
    # find fails when a process exits while it lists: under pipefail that would end the bench silently.
    tasks=$(find /proc/[0-9]*/task -maxdepth 1 -mindepth 1 2>/dev/null | wc -l || true)
    room=$(((pid_max < nproc_limit ? pid_max : nproc_limit) - tasks - 1000))
    if ((SWEEP_PROCS > room)); then
        log "warning: pid_max $pid_max, ulimit -u $nproc_limit and $tasks running tasks leave room for $room sleepers, not $SWEEP_PROCS"
        SWEEP_PROCS=$((room > 0 ? room : 0))
    fi
}

phase_sweep() {
    local i ns status cpu
    log "sweep: $SWEEP_PROCS sleepers; oom-adjust once vs the C sweep, $SWEEP_RUNS runs each"
    printf '%s score=%d\n%s score=%d\n' "$NAME_I" "$(cat /proc/self/oom_score_adj)" "$NAME_A" "$VALUE_A" >"$TMP/once.conf"
    start_bg "$TMP/idle.out" "$TMP/idle.log" "$HELPER" idle "$SWEEP_PROCS" "$IDLE_MAX_SECONDS" "$NAME_I"
    IDLE_PID=$LAST_PID
    wait_for_line "$TMP/idle.out" "^ready" 300 || fail "the sleepers did not start"
    R[sweep_procs]=$(awk '{ print $2 }' "$TMP/idle.out")
    # One untimed run each: warms the caches and shows what each saw.
    R[once_line]=$("$AGENT" once --config "$TMP/once.conf" 2>&1 | grep 'sweep finished' | sed 's/.*sweep finished //')
    R[csweep_line]=$("$HELPER" sweep 2>&1)
    : >"$TMP/once.ns"
    : >"$TMP/csweep.ns"
    for ((i = 0; i < SWEEP_RUNS; i++)); do
        read -r _ ns _ status _ < <("$HELPER" time "$AGENT" once --config "$TMP/once.conf")
        ((status == 0)) || log "warning: oom-adjust once exited $status"
        echo "$ns" >>"$TMP/once.ns"
        read -r _ ns _ status _ < <("$HELPER" time "$HELPER" sweep)
        echo "$ns" >>"$TMP/csweep.ns"
    done
    R[once_ms]=$(median <"$TMP/once.ns" | awk '{ printf "%.1f", $1 / 1e6 }')
    R[csweep_ms]=$(median <"$TMP/csweep.ns" | awk '{ printf "%.1f", $1 / 1e6 }')
    # rank over the same processes, every sleeper named by a rule (so each is matched and decided).
    R[rank_line]=$("$AGENT" rank --config "$TMP/once.conf" --limit 1 | head -1)
    : >"$TMP/rank.ns"
    : >"$TMP/rank.cpu"
    for ((i = 0; i < SWEEP_RUNS; i++)); do
        read -r _ ns _ status _ cpu < <("$HELPER" time "$AGENT" rank --config "$TMP/once.conf")
        ((status == 0)) || log "warning: oom-adjust rank exited $status"
        echo "$ns" >>"$TMP/rank.ns"
        echo "$cpu" >>"$TMP/rank.cpu"
    done
    R[rank_ms]=$(median <"$TMP/rank.ns" | awk '{ printf "%.1f", $1 / 1e6 }')
    R[rank_cpu_ms]=$(median <"$TMP/rank.cpu" | awk '{ printf "%.1f", $1 / 1e6 }')
    signal_child TERM "$IDLE_PID"
    wait "$IDLE_PID" || true
}

# The summary's rows of phase 5, with its targets.
summary_sweep() {
    target sweep_ratio "oom-adjust once / the C sweep, wall time" "$(ratio "$(v once_ms)" "$(v csweep_ms)")" 1.5
    row "sweep, $(v sweep_procs) sleepers (ms)" "$(v once_ms)" "$(v csweep_ms)" "$(ratio "$(v once_ms)" "$(v csweep_ms)")" \
        "ratio <= 1.5: $VERDICT"
    target rank_ms "oom-adjust rank, wall time (ms; < 1000)" "$(v rank_ms)" 999.9
    row "rank, $(v sweep_procs) sleepers (ms)" "$(v rank_ms)" "" "" "< 1000: $VERDICT"
    row "  its CPU time, user + system (ms)" "$(v rank_cpu_ms)" "" "" ""
    echo "  once:    $(v once_line)"
    echo "  C sweep: $(v csweep_line)"
    echo "  rank:    $(v rank_line)"
}
