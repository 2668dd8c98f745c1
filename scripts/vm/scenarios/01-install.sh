# Scenario 1: `dpkg -i` on a minimal Debian. The unit ends up enabled and active, and READY=1 came
# after the start-up sweep: processes that were running before the install all got their value, each
# write (seen by the kernel's oom_score_adj_update tracepoint) before the moment systemd marked the
# unit active, which is when it received READY=1.
. /opt/oavm/lib.sh

sleepers=40
tracing=/sys/kernel/tracing/instances/oavm-ready
rules 10 "oavmready score=123"
copy_program /bin/sleep oavmready
pids=
i=0
while [ "$i" -lt "$sleepers" ]; do
    launch oavmready 600
    pids="$pids $started"
    i=$((i + 1))
done

# The kernel's record of every write to these processes' oom_score_adj, on CLOCK_MONOTONIC like
# systemd's timestamps.
mkdir "$tracing" || fail "cannot create a tracefs instance at $tracing"
at_exit "echo 0 >'$tracing/tracing_on'; rmdir '$tracing'"
echo mono >"$tracing/trace_clock"
echo 'comm == "oavmready"' >"$tracing/events/oom/oom_score_adj_update/filter"
echo 1 >"$tracing/events/oom/oom_score_adj_update/enable"

say "$sleepers processes named oavmready running; dpkg -i"
install_package || fail "dpkg -i failed: $(tail -n 5 "$OAVM/dpkg.log")"
grep -i 'error\|warning\|fail' "$OAVM/dpkg.log" && fail "dpkg -i printed errors or warnings"
say "dpkg -i: $(tail -n 2 "$OAVM/dpkg.log" | tr '\n' ' ')"

[ "$(systemctl is-enabled "$UNIT")" = enabled ] || fail "$UNIT is $(systemctl is-enabled "$UNIT") after dpkg -i, not enabled"
active_and_running || fail "$UNIT is $(prop ActiveState)/$(prop SubState) after dpkg -i"
[ "$(prop NRestarts)" = 0 ] || fail "$UNIT was restarted $(prop NRestarts) times"
active_at=$(prop ActiveEnterTimestampMonotonic)
say "active since ${active_at} µs after boot; status: $(prop StatusText)"

for pid in $pids; do
    has_value "$pid" 123 || fail "pid $pid, running before the install, has $(value_of "$pid") right after dpkg -i, not 123"
done
echo 0 >"$tracing/tracing_on"
trace=$OAVM/ready.trace
grep 'oom_score_adj_update:' "$tracing/trace" >"$trace"
at_exit rm -f "$trace"
writes=$(wc -l <"$trace")
[ "$writes" -eq "$sleepers" ] || fail "the kernel saw $writes writes to the $sleepers processes, expected one each"
# The last write's time in µs, from the trace line's "SECONDS.MICROS:" stamp.
last_write=$(sed 's/.* \([0-9]*\)\.\([0-9]*\): oom_score_adj_update.*/\1\2/' "$trace" | sort -n | tail -n 1)
say "last sweep write at ${last_write} µs, unit active at ${active_at} µs"
[ "$last_write" -lt "$active_at" ] ||
    fail "READY=1 came before the start-up sweep finished: a write at ${last_write} µs, the unit active at ${active_at} µs"
pass "enabled, active; all $sleepers earlier processes set by the start-up sweep, $(((active_at - last_write) / 1000)) ms before READY=1"
