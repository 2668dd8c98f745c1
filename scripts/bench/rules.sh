# shellcheck shell=bash
# scripts/bench/rules.sh, phase 6: the cost of a large rule set. Sourced by scripts/bench.sh (after
# lib.sh, latency.sh and alloc.sh, whose latency_phase and count_allocations it runs again).

# The large config on stdout: the exact names are TAG, `e` and a base-36 number; of every 50 globs one is
# suffix-only, one has a bracket before its literal prefix, one a range after it, and two in all have no
# anchor (`?` first); the rest are literal prefixes, the common case (`php-fpm*`).
large_config() {
    awk -v tag="$TAG" -v n="$RULES" -v g="$RULES_GLOBS" -v probe="$NAME_N" -v value="$VALUE_N" '
        function b36(x,  s) { s = ""; do { s = substr("0123456789abcdefghijklmnopqrstuvwxyz", x % 36 + 1, 1) s; x = int(x / 36) } while (x > 0); return s }
        BEGIN {
            printf "# bench %s: %d exact rules and %d globs, only names unique to this run\n", tag, n, g
            for (i = 0; i < n; i++) printf "%se%s score=%d\n", tag, b36(i), i % 1000
            for (i = 0; i < g; i++) {
                k = i % 50
                if (k == 0) printf "*%ss%d score=200\n", tag, i
                else if (k == 1) printf "[oO]%sb%d* score=200\n", substr(tag, 2), i
                else if (k == 2) printf "%sr[0-9]%d* score=200\n", tag, i
                else if (k == 3 && i < 100) printf "?%su%d* score=200\n", substr(tag, 2), i
                else printf "%sg%d-* score=200\n", tag, i
            }
            printf "%s score=%d\n", probe, value
        }'
}

# Pools the figures of two halves of a latency phase, A and B, into OUT: the latencies of both, the
# probe counts summed, and for a storm the CPU % over both (and R[cpu_WHO] set from that).
combine_halves() {
    local kind=$1 out=$2 a=$3 b=$4 who key
    for who in "$WHO1" "$WHO2"; do
        cat "$TMP/lat-$a-$who" "$TMP/lat-$b-$who" >"$TMP/lat-$out-$who"
        read -r _ "R[${out}_p50_$who]" "R[${out}_p90_$who]" "R[${out}_p99_$who]" "R[${out}_max_$who]" < <(percentiles "$TMP/lat-$out-$who")
        for key in probes missed early; do R[${out}_${key}_$who]=$((R[${a}_${key}_$who] + R[${b}_${key}_$who])); done
        if [[ $kind == storm ]]; then
            R[cpu_$who]=$(awk -v a="${R[${a}_cpu_ns_$who]}" -v b="${R[${b}_cpu_ns_$who]}" -v s="${R[${a}_wall_ns]}" -v t="${R[${b}_wall_ns]}" \
                'BEGIN { printf "%.1f", 100 * (a + b) / (s + t) }')
        fi
    done
    [[ $kind == storm ]] && R[${out}_execs_per_s]=$(((R[${a}_execs_per_s] + R[${b}_execs_per_s]) / 2))
    return 0
}

# Starts the one-rule agent or the large one (WHICH: one or many), waits for its start-up sweep, and
# sets ONE_PID or MANY_PID.
start_rules_agent() {
    local which=$1 config=$TMP/one.conf
    [[ $which == many ]] && config=$TMP/large.conf
    start_bg "$TMP/$which.out" "$TMP/$which.log" "$AGENT" run --config "$config" --realtime-priority "$PRIORITY"
    wait_for_line "$TMP/$which.log" "reason=start-up" 60 || { tail -5 "$TMP/$which.log" >&2; fail "the $which-rule agent did not start"; }
    if [[ $which == many ]]; then MANY_PID=$LAST_PID; else ONE_PID=$LAST_PID; fi
}

# Milliseconds from SIGHUP to the agent's "config reloaded", RUNS times; the median on stdout. The
# log's stamps are wall-clock milliseconds.
reload_ms() {
    local pid=$1 log=$2 runs=$3 i j before t0 stamp
    for ((i = 0; i < runs; i++)); do
        before=$(grep -c 'config reloaded' "$log" || true)
        t0=${EPOCHREALTIME/./}
        kill -HUP "$pid"
        for ((j = 0; j < 400; j++)); do
            (($(grep -c 'config reloaded' "$log" || true) > before)) && break
            sleep 0.025
        done
        stamp=$(grep 'config reloaded' "$log" | tail -1 | cut -d' ' -f1)
        [[ -n $stamp ]] || { log "warning: no reload logged"; continue; }
        echo $(($(date -d "$stamp" +%s%6N) - t0))
        # Let the sweep that follows finish before the next signal.
        sleep 0.3
    done | median | awk '{ printf "%.1f", $1 / 1000 }'
}

# Two agents side by side, seeing the same events: one with a single rule, one with RULES exact rules
# and RULES_GLOBS globs, every one of them a name unique to this run. Each adjusts its own probe, named
# in its last rule, so the big agent's figures include walking its whole index.
phase_rules() {
    local i ns status half pid all_probes
    NAME_1="$TAG-1" NAME_N="$TAG-n" NAME_Q="${TAG}q" VALUE_1=126 VALUE_N=127
    cp /bin/sleep "$TMP/$NAME_1"
    cp /bin/sleep "$TMP/$NAME_N"
    cp /bin/true "$TMP/$NAME_Q"
    printf '# bench %s: one rule\n%s score=%d\n' "$TAG" "$NAME_1" "$VALUE_1" >"$TMP/one.conf"
    large_config >"$TMP/large.conf"
    "$AGENT" check --config "$TMP/large.conf" >"$TMP/large-check.out" 2>&1 || { tail -5 "$TMP/large-check.out" >&2; fail "the agent rejects the large config"; }
    R[rules_count]=$(grep -c 'score=' "$TMP/large.conf")
    log "rules: $(v rules_count) rules (check: $(tail -1 "$TMP/large-check.out" | sed 's/.*: //')); check timed $SWEEP_RUNS times each"
    : >"$TMP/check-one.ns"
    : >"$TMP/check-large.ns"
    for ((i = 0; i < SWEEP_RUNS; i++)); do
        read -r _ ns _ status _ < <("$HELPER" time "$AGENT" check --config "$TMP/one.conf")
        echo "$ns" >>"$TMP/check-one.ns"
        read -r _ ns _ status _ < <("$HELPER" time "$AGENT" check --config "$TMP/large.conf")
        ((status == 0)) || log "warning: check of the large config exited $status"
        echo "$ns" >>"$TMP/check-large.ns"
    done
    R[check_one_ms]=$(median <"$TMP/check-one.ns" | awk '{ printf "%.1f", $1 / 1e6 }')
    R[check_many_ms]=$(median <"$TMP/check-large.ns" | awk '{ printf "%.1f", $1 / 1e6 }')

    # The kernel hands each event to the listener that subscribed last first, and which of two equal
    # agents is first changes their figures by up to a tenth (--rules 0 --rules-globs 0 runs two agents
    # with one rule each, the control). So each half of the probes runs with the other agent first, both
    # started afresh, and warmed up by a few probes that are not measured.
    all_probes=$PROBES
    PROBES=$(((all_probes + 1) / 2))
    for half in a b; do
        if [[ $half == a ]]; then
            start_rules_agent many
            start_rules_agent one
        else
            for pid in "$ONE_PID" "$MANY_PID"; do
                signal_child TERM "$pid"
                wait "$pid" || log "warning: an agent of the rules phase exited with status $?"
            done
            start_rules_agent one
            start_rules_agent many
        fi
        "$HELPER" probes "$TMP/$NAME_1" "$TMP/$NAME_N" 20 $((GAP_MS * 1000)) 0 >/dev/null 2>&1 || true
        log "rules, half $half: one-rule agent pid $ONE_PID and $(v rules_count)-rule agent pid $MANY_PID listening, the $([[ $half == a ]] && echo one-rule || echo large) one first"
        # The probes alternate, and the one spawned first in each pair swaps too.
        if [[ $half == a ]]; then
            use_listeners one "$ONE_PID" "$NAME_1" many "$MANY_PID" "$NAME_N"
        else
            use_listeners many "$MANY_PID" "$NAME_N" one "$ONE_PID" "$NAME_1"
        fi
        latency_phase idle "rules-idle-$half"
        latency_phase storm "rules-storm-$half"
    done
    PROBES=$all_probes
    combine_halves idle rules-idle rules-idle-a rules-idle-b
    combine_halves storm rules-storm rules-storm-a rules-storm-b
    count_allocations rules-alloc "$MANY_PID" "$TMP/many.log" "$TMP/$NAME_Q" "$ALLOC_EXECS"
    log "rules: SIGHUP to the $(v rules_count)-rule agent, 5 times"
    R[reload_many_ms]=$(reload_ms "$MANY_PID" "$TMP/many.log" 5)
    for pid in "$ONE_PID" "$MANY_PID"; do
        signal_child TERM "$pid"
        wait "$pid" || log "warning: an agent of the rules phase exited with status $?"
    done
}

# The summary's section of phase 6, with its targets.
summary_rules() {
    echo
    echo "rules: one agent with 1 rule, one with $(v rules_count) ($RULES exact, $RULES_GLOBS globs), side by side"
    row "" "1 rule" "$(v rules_count) rules" ratio target
    latency_rows rules- one many many rules_ "the large-rule-set agent" \
        "idlep50=rules_idle_p50_ratio:1.1:idle latency p50, large rule set / one rule"
    row "storm execs/s" "$(v rules-storm_execs_per_s)" "" "" ""
    target rules_cpu_ratio "CPU during the storm, large rule set / one rule" "$(ratio "$(v cpu_many)" "$(v cpu_one)")" 1.1
    row "CPU % during storm" "$(v cpu_one)" "$(v cpu_many)" "$(ratio "$(v cpu_many)" "$(v cpu_one)")" \
        "ratio <= 1.1: $VERDICT"
    row "RssAnon after storm (KiB)" "$(v rssanon_one)" "$(v rssanon_many)" "$(ratio "$(v rssanon_many)" "$(v rssanon_one)")" ""
    row "allocator calls per datagram" "" "$(v rules-alloc_per_event)" "" \
        "$(v rules-alloc_calls) calls over $(v rules-alloc_datagrams) unmatched datagrams (control $(v rules-alloc_control))"
    target check_many_ms "check of the large config (ms, median; < 100)" "$(v check_many_ms)" 99.9
    row "check (ms, median of $SWEEP_RUNS)" "$(v check_one_ms)" "$(v check_many_ms)" "$(ratio "$(v check_many_ms)" "$(v check_one_ms)")" \
        "< 100: $VERDICT"
    target reload_many_ms "SIGHUP to config reloaded, large config (ms, median; < 100)" "$(v reload_many_ms)" 99.9
    row "SIGHUP to reloaded (ms, median of 5)" "" "$(v reload_many_ms)" "" "< 100: $VERDICT"
}
