# shellcheck shell=bash
# scripts/bench/memory.sh, phase 3: memory stability, the agent's RssAnon before and after MEM_EVENTS
# process events (an exec loop). Sourced by scripts/bench.sh (after lib.sh).

phase_memory() {
    local d0 d1
    log "memory: about $MEM_EVENTS process events (exec loop of /bin/true, fork + exec each)"
    d0=$(agent_datagrams)
    R[mem_before]=$(status_kb "$AGENT_PID" RssAnon)
    start_storm $(((MEM_EVENTS / 2 + STORM_LOOPS - 1) / STORM_LOOPS))
    finish_storm wait
    sleep 0.5
    d1=$(agent_datagrams)
    R[mem_after]=$(status_kb "$AGENT_PID" RssAnon)
    R[mem_delta]=$((R[mem_after] - R[mem_before]))
    R[mem_datagrams]=$((d1 - d0))
    R[mem_execs]=$STORM_EXECS
}

# The summary's rows of phase 3, with its target.
summary_memory() {
    local delta
    row "RssAnon before/after (KiB)" "$(v mem_before)/$(v mem_after)" "" "" "$(v mem_datagrams) datagrams, $(v mem_execs) execs"
    delta=$(v mem_delta)
    target mem_delta_abs_kib "|RssAnon delta| over the events (KiB)" "${delta#-}" 256
    row "RssAnon delta (KiB)" "$delta" "" "" "|delta| <= 256: $VERDICT"
}
