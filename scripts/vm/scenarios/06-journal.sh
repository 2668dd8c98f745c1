# Scenario 6: journald priorities. The agent logs a warning (a reload whose config repeats a rule),
# errors (a broken reload) and info lines (reloads, sweeps). `journalctl -u oom-adjust -p warning`
# shows the warning and the errors and none of the info lines; the journal keeps each at its priority
# (4, 3, 6), which is what the agent's `<N>` prefixes must have told journald.
. /opt/oavm/lib.sh

mark=$(journal_mark)
rules 60 "oavmjournal score=5
oavmjournal score=6"
reload_and_wait "$(journal_mark)"
printf 'oavmjournal score=5\noavmjournal banana\n' >"$DROPIN_DIR/60-oavm-test.conf"
reload_and_wait "$(journal_mark)"

# `agent_records ARGS...`: the agent's records since the mark, message text only.
agent_records() { journalctl -u "$UNIT" --since="$mark" --no-pager -o cat "$@"; }
shown=$(agent_records -p warning)
say "journalctl -u $UNIT -p warning shows:"
printf '%s\n' "$shown" | sed 's/^/    /'
warning="duplicate rule for \`oavmjournal\`"
failure='config reload failed'
error="$DROPIN_DIR/60-oavm-test.conf:2: error"
for wanted in "$warning" "$failure" "$error"; do
    printf '%s\n' "$shown" | grep -qF -- "$wanted" || fail "-p warning does not show '$wanted'"
done
for unwanted in 'config reloaded' 'sweep finished' 'subscribed to process events'; do
    printf '%s\n' "$shown" | grep -qF -- "$unwanted" && fail "-p warning shows the info line '$unwanted'"
done
agent_records -p 4..4 | grep -qF -- "$warning" || fail "the duplicate-rule warning is not at priority 4 (warning)"
agent_records -p 3..3 | grep -qF -- "$failure" || fail "'$failure' is not at priority 3 (err)"
agent_records -p 3..3 | grep -qF -- "$error" || fail "the config error is not at priority 3 (err)"
agent_records -p 6..6 | grep -qF 'config reloaded' || fail "'config reloaded' is not in the journal at priority 6 (info)"
agent_records -p 6..6 | grep -qF 'sweep finished' || fail "'sweep finished' is not in the journal at priority 6 (info)"
pass "-p warning shows $(printf '%s\n' "$shown" | wc -l) records (the warning at 4, the errors at 3) and none of the $(agent_records -p 6..6 | wc -l) info records"
