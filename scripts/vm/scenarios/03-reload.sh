# Scenario 3: `systemctl reload` applies a changed config to running processes (ExecReload= must work
# on a minimal Debian, which has no /bin/kill). A broken config keeps the old rules (a new process gets
# the old value, not the one the broken file's valid line asks for), the error names PATH:LINE, and the
# unit stays active with the same main process.
. /opt/oavm/lib.sh

rules 30 "oavmreload score=200"
reload_and_wait "$(journal_mark)"
copy_program /bin/sleep oavmreload
launch oavmreload 600
first=$started
expect_value "$first" 200 "a process started after a reload to 200"

rules 30 "oavmreload score=300"
mark=$(journal_mark)
reload_and_wait "$mark"
agent_logged_since "$mark" 'config reloaded' || fail "the agent did not log 'config reloaded': $(agent_log_since "$mark" | tail -n 3)"
expect_value "$first" 300 "a running process after the reload to 300"
say "reload applied 300 to the running pid $first"

agent=$(main_pid)
restarts=$(prop NRestarts)
printf 'oavmreload score=400\noavmreload banana\n' >"$DROPIN_DIR/30-oavm-test.conf"
mark=$(journal_mark)
reload_and_wait "$mark"
agent_logged_since "$mark" 'config reload failed' || fail "the agent did not log 'config reload failed' for a broken file"
agent_logged_since "$mark" "$DROPIN_DIR/30-oavm-test.conf:2" || fail "the error does not name $DROPIN_DIR/30-oavm-test.conf:2: $(agent_log_since "$mark")"
[ "$(main_pid)" = "$agent" ] && [ "$(prop NRestarts)" = "$restarts" ] || fail "the agent was restarted by a broken reload"
launch oavmreload 600
second=$started
expect_value "$second" 300 "a new process after a broken reload (the old rules must stay)"
sleep 1
[ "$(value_of "$second")" = 300 ] && [ "$(value_of "$first")" = 300 ] || fail "values changed after the broken reload: $(value_of "$first"), $(value_of "$second")"
pass "reload applied 200 -> 300 to a running process; a broken file kept 300, named its PATH:LINE, the unit stayed active (pid $agent)"
