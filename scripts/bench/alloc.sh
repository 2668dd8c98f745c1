# shellcheck shell=bash
# scripts/bench/alloc.sh, phase 4: allocations on the event path, from uprobes on libc's allocators.
# Sourced by scripts/bench.sh (after lib.sh); phase 6 (rules.sh) uses its count_allocations too.

# A uprobe costs a trap in every process that calls the function, so this runs separately and short.
sym_offset() { # LIBRARY SYMBOL: the file offset uprobe_events wants
    local lib=$1 sym=$2 vaddr off seg_off seg_vaddr seg_size
    # No early `exit` in the awk: readelf would die of SIGPIPE, and pipefail would call that a failure.
    vaddr=$(readelf -W --dyn-syms "$lib" | awk -v s="$sym" '$4 == "FUNC" && $7 != "UND" && !found { n = $8; sub(/@.*/, "", n); if (n == s) { print $2; found = 1 } }')
    [[ -n $vaddr ]] || return 1
    vaddr=$((16#$vaddr))
    while read -r seg_off seg_vaddr seg_size; do
        if ((vaddr >= seg_vaddr && vaddr < seg_vaddr + seg_size)); then
            printf '0x%x\n' $((vaddr - seg_vaddr + seg_off))
            return 0
        fi
    done < <(readelf -lW "$lib" | awk '$1 == "LOAD" { print $2, $3, $5 }' | while read -r o v s; do echo $((o)) $((v)) $((s)); done)
    return 1
}

# Counts the allocator calls of agent PID (logging to LOG) during an exec storm of EXECS runs of PATH,
# whose name no rule matches; R[KEY_calls], R[KEY_datagrams], R[KEY_per_event] and R[KEY_control].
count_allocations() {
    local key=$1 pid=$2 log=$3 path=$4 execs=$5 LIBC fn off d0 d1
    LIBC=$(awk '$6 ~ /\/libc\.so/ { print $6; exit }' "/proc/$pid/maps")
    [[ -n $LIBC ]] || fail "cannot find the agent's libc"
    log "allocations: uprobes on $LIBC allocators for pid $pid, $execs execs of $path"
    for fn in malloc calloc realloc aligned_alloc posix_memalign memalign; do
        off=$(sym_offset "$LIBC" "$fn") || continue
        echo "p:$UPROBE_GROUP/$fn $LIBC:$off" >>"$TRACEFS/uprobe_events"
        UPROBES+=("$UPROBE_GROUP/$fn")
        echo "common_pid == $pid" >"$INSTANCE/events/$UPROBE_GROUP/$fn/filter"
    done
    d0=$(agent_datagrams "$pid" "$log")
    drain_trace /dev/null
    echo 1 >"$INSTANCE/events/$UPROBE_GROUP/enable"
    echo 1 >"$INSTANCE/tracing_on"
    start_storm $(((execs + STORM_LOOPS - 1) / STORM_LOOPS)) "$path"
    finish_storm wait
    sleep 0.5
    drain_trace "$TMP/trace-$key"
    # The control: logging the counters allocates, so the probes must see calls now. The same SIGUSR1
    # gives the datagram count, whose own allocations stay out of the event-path count above.
    d1=$(agent_datagrams "$pid" "$log")
    sleep 0.2
    echo 0 >"$INSTANCE/tracing_on"
    echo 0 >"$INSTANCE/events/$UPROBE_GROUP/enable"
    drain_trace "$TMP/trace-$key-control"
    R[${key}_control]=$(awk '$1 == "U"' "$TMP/trace-$key-control" | wc -l)
    R[${key}_calls]=$(awk '$1 == "U"' "$TMP/trace-$key" | wc -l)
    R[${key}_datagrams]=$((d1 - d0))
    ((R[${key}_control] > 0)) || log "warning: the allocator uprobes saw nothing even for SIGUSR1; the allocation count is not trustworthy"
    ((R[${key}_calls] == 0)) || log "allocations on the event path: for stacks, define the uprobe again and run" \
        "perf record -e $UPROBE_GROUP:malloc --call-graph dwarf -p <agent pid> during an exec storm"
    R[${key}_per_event]=$(awk -v c="${R[${key}_calls]}" -v d="${R[${key}_datagrams]}" 'BEGIN { if (d > 0) printf "%.3f", c / d; else print "-" }')
    for probe in "${UPROBES[@]}"; do echo "-:$probe" >>"$TRACEFS/uprobe_events"; done
    UPROBES=()
}

phase_alloc() {
    count_allocations alloc "$AGENT_PID" "$TMP/agent.log" /bin/true "$ALLOC_EXECS"
}

# The summary's rows of phase 4 (figures only, no target).
summary_alloc() {
    row "allocator calls per datagram" "$(v alloc_per_event)" "" "" "$(v alloc_calls) calls over $(v alloc_datagrams) unmatched datagrams"
    echo "  (control: the same probes counted $(v alloc_control) allocator calls while the agent logged its counters once)"
}
