# shellcheck shell=bash
# scripts/bench/latency.sh, phases 1 and 2: exec → adjust latency of two listeners side by side, idle
# and during an exec storm, from the kernel's tracepoints; their CPU % during the storm and their memory
# after it. Sourced by scripts/bench.sh (after lib.sh); phase 6 (rules.sh) uses its latency_phase too.

# The two listeners a latency phase compares: for each a label (the key of its figures), its pid, and
# the name of the probes it adjusts.
use_listeners() { WHO1=$1 PID1=$2 PROBE1=$3 WHO2=$4 PID2=$5 PROBE2=$6; }

# Pairs each probe's exec with the first oom_score_adj update of its pid; prints "who probes measured
# early" per listener and leaves the latencies (ns) in $TMP/lat-PHASE-WHO.
analyse_latency() {
    local dump=$1 phase=$2
    : >"$TMP/lat-$phase-$WHO1"
    : >"$TMP/lat-$phase-$WHO2"
    sort -k2,2n "$dump" | awk -v a="$PROBE1" -v r="$PROBE2" -v wa="$WHO1" -v wr="$WHO2" -v out="$TMP/lat-$phase-" '
        $1 == "E" {
            n = split($4, part, "/"); who = part[n] == a ? wa : part[n] == r ? wr : ""
            if (who == "") next
            probes[who]++; owner[$3] = who; start[$3] = $2; done[$3] = 0
            # An update up to 50 ms before this exec, for this pid, landed early: it counts as 0.
            if (($3 in early) && $2 - early[$3] < 50000000) {
                done[$3] = 1; earlies[who]++; measured[who]++; print 0 > (out who)
            }
            delete early[$3]
            next
        }
        $1 == "O" {
            if (($3 in owner) && !done[$3]) {
                done[$3] = 1; measured[owner[$3]]++; print $2 - start[$3] > (out owner[$3])
            } else early[$3] = $2
        }
        END { for (w in probes) print w, probes[w], measured[w] + 0, earlies[w] + 0 }'
}

# KIND is idle or storm; PHASE (KIND by default) names the figures, R[PHASE_p50_WHO] and so on; a
# storm phase also gives R[cpu_WHO] (CPU % during the storm), R[vmrss_WHO] and R[rssanon_WHO].
latency_phase() {
    local kind=$1 phase=${2:-$1} who t0 t1 a0 a1 r0 r1
    log "latency, $phase: $PROBES probes each for $WHO1 and $WHO2, ${GAP_MS} ms apart"
    drain_trace /dev/null
    echo 1 >"$INSTANCE/tracing_on"
    if [[ $kind == storm ]]; then
        start_storm 1000000000
        sleep 1
        t0=$(now_ns) a0=$(cpu_ns "$PID1") r0=$(cpu_ns "$PID2")
    fi
    # In the background and waited for, so that a signal to the bench is handled at once.
    start_bg /dev/null "$TMP/probes.log" timeout $((STORM_MAX_SECONDS - 5)) \
        "$HELPER" probes "$TMP/$PROBE1" "$TMP/$PROBE2" "$PROBES" $((GAP_MS * 1000)) "$PROBE_LIFE"
    wait "$LAST_PID" || log "warning: the probe spawner stopped early (status $?)"
    if [[ $kind == storm ]]; then
        t1=$(now_ns) a1=$(cpu_ns "$PID1") r1=$(cpu_ns "$PID2")
        finish_storm
        R[${phase}_execs_per_s]=$STORM_RATE
        R[${phase}_cpu_ns_$WHO1]=$((a1 - a0)) R[${phase}_cpu_ns_$WHO2]=$((r1 - r0)) R[${phase}_wall_ns]=$((t1 - t0))
        R[cpu_$WHO1]=$(awk -v d=$((a1 - a0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.1f", 100 * d / t }')
        R[cpu_$WHO2]=$(awk -v d=$((r1 - r0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.1f", 100 * d / t }')
        R[vmrss_$WHO1]=$(status_kb "$PID1" VmRSS) R[rssanon_$WHO1]=$(status_kb "$PID1" RssAnon)
        R[vmrss_$WHO2]=$(status_kb "$PID2" VmRSS) R[rssanon_$WHO2]=$(status_kb "$PID2" RssAnon)
    fi
    sleep 0.3
    echo 0 >"$INSTANCE/tracing_on"
    drain_trace "$TMP/trace-$phase"
    while read -r who probes measured early; do
        R[${phase}_probes_$who]=$probes R[${phase}_missed_$who]=$((probes - measured)) R[${phase}_early_$who]=$early
    done < <(analyse_latency "$TMP/trace-$phase" "$phase")
    for who in "$WHO1" "$WHO2"; do
        read -r _ "R[${phase}_p50_$who]" "R[${phase}_p90_$who]" "R[${phase}_p99_$who]" "R[${phase}_max_$who]" < <(percentiles "$TMP/lat-$phase-$who")
        : "${R[${phase}_probes_$who]:=0}" "${R[${phase}_missed_$who]:=0}" "${R[${phase}_early_$who]:=0}"
    done
}

phase_latency() {
    use_listeners agent "$AGENT_PID" "$NAME_A" ref "$REF_PID" "$NAME_R"
    latency_phase idle
    latency_phase storm
}

# The summary's rows of an idle and a storm latency phase, two listeners side by side (phase 6 shows
# its two agents with these too): each percentile, then the probe counts. KEY is what the figures' keys
# begin with (`rules-` for phase 6), LEFT and RIGHT the listeners' labels (the keys' ends), in column
# order; the ratio is OWN's figure over the other's, and OWN's probes must all be adjusted (target
# MISSED_PREFIX PHASE `_missed_` OWN, said as "PHASE probes WHO missed"). Each of TARGETS,
# `PHASEQUANTILE=NAME:LIMIT:WHAT`, makes that row's ratio a target.
latency_rows() {
    local key=$1 left=$2 right=$3 own=$4 missed_prefix=$5 who=$6
    shift 6
    local other=$left phase q note spec name limit what
    [[ $own == "$left" ]] && other=$right
    for phase in idle storm; do
        for q in p50 p90 p99 max; do
            note=""
            for spec in "$@"; do
                [[ ${spec%%=*} == "$phase$q" ]] || continue
                IFS=: read -r name limit what <<<"${spec#*=}"
                target "$name" "$what" "$(ratio "$(v "$key${phase}_${q}_$own")" "$(v "$key${phase}_${q}_$other")")" "$limit"
                note="ratio <= $limit: $VERDICT"
            done
            row "$phase latency $q (us)" "$(v "$key${phase}_${q}_$left")" "$(v "$key${phase}_${q}_$right")" \
                "$(ratio "$(v "$key${phase}_${q}_$own")" "$(v "$key${phase}_${q}_$other")")" "$note"
        done
        target "$missed_prefix${phase}_missed_$own" "$phase probes $who missed" "$(v "$key${phase}_missed_$own")" 0
        row "$phase probes / missed / early" \
            "$(v "$key${phase}_probes_$left")/$(v "$key${phase}_missed_$left")/$(v "$key${phase}_early_$left")" \
            "$(v "$key${phase}_probes_$right")/$(v "$key${phase}_missed_$right")/$(v "$key${phase}_early_$right")" "" \
            "zero missed: $VERDICT"
    done
}

# The summary's rows of phases 1 and 2, with their targets.
summary_latency() {
    latency_rows "" agent ref agent "" "the agent" \
        "idlep50=idle_p50_ratio:1.3:idle latency p50, agent / reference" \
        "stormp99=storm_p99_ratio:1.5:storm latency p99, agent / reference"
    row "storm execs/s" "$(v storm_execs_per_s)" "" "" ""
    target cpu_ratio "CPU during the storm, agent / reference" "$(ratio "$(v cpu_agent)" "$(v cpu_ref)")" 1.5
    row "CPU % during storm" "$(v cpu_agent)" "$(v cpu_ref)" "$(ratio "$(v cpu_agent)" "$(v cpu_ref)")" \
        "ratio <= 1.5: $VERDICT"
    row "VmRSS after storm (KiB)" "$(v vmrss_agent)" "$(v vmrss_ref)" "$(ratio "$(v vmrss_agent)" "$(v vmrss_ref)")" ""
    row "RssAnon after start-up (KiB)" "$(v rss_start_agent)" "$(v rss_start_ref)" "$(ratio "$(v rss_start_agent)" "$(v rss_start_ref)")" ""
    target rssanon_agent_kib "the agent's RssAnon after the storm (KiB)" "$(v rssanon_agent)" 2048
    row "RssAnon after storm (KiB)" "$(v rssanon_agent)" "$(v rssanon_ref)" "$(ratio "$(v rssanon_agent)" "$(v rssanon_ref)")" \
        "<= 2048: $VERDICT"
}
