# Scenario 4: the watchdog. With a short WatchdogSec= (a test drop-in), a running agent outlives two
# watchdog periods (its WATCHDOG=1 pings arrive), and a SIGSTOPped one is killed by systemd for the
# missed pings and restarted (RestartSec=1s in the same drop-in, to save time).
. /opt/oavm/lib.sh

period=5
unit_dropin oavm-watchdog "WatchdogSec=${period}s
RestartSec=1s"
restart_agent
[ "$(prop WatchdogUSec)" = "${period}s" ] || fail "the drop-in did not take: WatchdogUSec=$(prop WatchdogUSec)"
agent=$(main_pid)
restarts=$(prop NRestarts)
sleep $((period * 2))
[ "$(main_pid)" = "$agent" ] && [ "$(prop NRestarts)" = "$restarts" ] ||
    fail "the agent was restarted without being stopped: pings missing? $(journalctl -u "$UNIT" -n 5 -o cat --no-pager)"
say "pid $agent lived through $((period * 2)) s of ${period} s watchdog periods"

mark=$(journal_mark)
kill -STOP "$agent"
say "sent SIGSTOP to pid $agent"
at_exit "kill -CONT $agent 2>/dev/null"
restarted() { [ "$(main_pid)" != "$agent" ] && [ "$(main_pid)" != 0 ] && active_and_running; }
wait_for 60 restarted || fail "60 s after SIGSTOP the unit is $(prop ActiveState)/$(prop SubState), main pid $(main_pid)"
say "restarted as pid $(main_pid); systemd said: $(agent_log_since "$mark" | grep -i 'watchdog\|signal\|restart' | paste -sd'|' -)"
[ ! -d "/proc/$agent" ] || fail "the stopped agent $agent is still there"
agent_log_since "$mark" | grep -q 'Watchdog timeout' ||
    fail "systemd logged no watchdog timeout: $(agent_log_since "$mark")"
[ "$(prop NRestarts)" -gt "$restarts" ] || fail "NRestarts did not grow"
pass "a SIGSTOPped agent was killed on the ${period} s watchdog timeout and restarted (pid $agent -> $(main_pid))"
