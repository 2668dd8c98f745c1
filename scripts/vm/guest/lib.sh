# Sourced by every scenario inside the VM (dash; no procps, no python: coreutils, grep, sed, perl-base,
# util-linux and systemd's own tools only). A scenario prints what it sees, one line at a time, and
# ends with `pass SUMMARY` or `fail REASON`: the runner reports that last line.

OAVM=/opt/oavm
DEB=$OAVM/oom-adjust.deb
# The same package one version up, for scenario 7's upgrade.
NEWER_DEB=$OAVM/oom-adjust-newer.deb
UNIT=oom-adjust.service
CONF=/etc/oom_adjust.conf
DROPIN_DIR=/etc/oom_adjust.d
# Test drop-ins of the unit go under /run, so a purge or a reboot never finds them.
UNIT_DROPIN_DIR=/run/systemd/system/$UNIT.d
# Copies of programs under names unique to the test, root-owned and 0755 (what the trust policy wants).
BIN=/usr/local/bin
NOBODY=65534

# PIDs this scenario started, killed on exit whatever happens, and commands to run then (at_exit).
OAVM_PIDS=
OAVM_CLEANUP=
at_exit() {
    OAVM_CLEANUP="$OAVM_CLEANUP
$*"
}

# Hundredths of a second since boot, in $centis. Read without forking: the polling loops below run
# every 50 ms on an emulated CPU.
tick() {
    local up _
    read -r up _ </proc/uptime
    centis=$((${up%.*} * 100 + 1${up#*.} - 100))
}
tick
OAVM_T0=$centis
# A line of the scenario's log, stamped with the seconds since the scenario began.
say() {
    tick
    local elapsed=$((centis - OAVM_T0))
    printf '%5d.%d %s\n' $((elapsed / 100)) $((elapsed % 100 / 10)) "$*"
}
pass() { echo "pass: $*"; exit 0; }
fail() { echo "FAIL: $*"; exit 1; }

on_exit() {
    for pid in $OAVM_PIDS; do kill -KILL "$pid" 2>/dev/null; done
    for pid in $OAVM_PIDS; do wait "$pid" 2>/dev/null; done
    rm -f "$DROPIN_DIR"/*-oavm-*.conf
    if [ -d "$UNIT_DROPIN_DIR" ]; then
        rm -rf "$UNIT_DROPIN_DIR"
        systemctl daemon-reload
    fi
    eval "$OAVM_CLEANUP"
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# `wait_for SECONDS COMMAND...`: polls COMMAND every 50 ms until it succeeds or SECONDS pass.
wait_for() {
    local deadline
    tick
    deadline=$((centis + $1 * 100))
    shift
    until "$@"; do
        tick
        [ "$centis" -le "$deadline" ] || return 1
        sleep 0.05
    done
}

value_of() { cat "/proc/$1/oom_score_adj" 2>/dev/null; }
has_value() {
    local value=
    { read -r value <"/proc/$1/oom_score_adj"; } 2>/dev/null
    [ "$value" = "$2" ]
}
# `expect_value PID VALUE WHAT`: waits (10 s) for the agent to write VALUE, or fails naming WHAT.
expect_value() {
    wait_for 10 has_value "$1" "$2" || fail "$3: oom_score_adj of pid $1 is $(value_of "$1"), expected $2"
}
alive() { [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

# `copy_program SOURCE NAME`: a root-owned copy of SOURCE at $BIN/NAME (removed on exit).
copy_program() {
    install -o root -g root -m 0755 "$1" "$BIN/$2"
    at_exit rm -f "'$BIN/$2'"
}
# `launch NAME ARGS...`: runs $BIN/NAME in the background; its PID is in $started.
launch() {
    local name=$1
    shift
    "$BIN/$name" "$@" >/dev/null 2>&1 &
    started=$!
    OAVM_PIDS="$OAVM_PIDS $started"
}

# `rules NAME TEXT`: the drop-in /etc/oom_adjust.d/NAME-oavm-test.conf (removed on exit).
rules() {
    mkdir -p "$DROPIN_DIR"
    printf '%s\n' "$2" >"$DROPIN_DIR/$1-oavm-test.conf"
}
# `unit_dropin NAME TEXT`: a drop-in of the unit under /run, then daemon-reload (removed on exit).
unit_dropin() {
    mkdir -p "$UNIT_DROPIN_DIR"
    printf '[Service]\n%s\n' "$2" >"$UNIT_DROPIN_DIR/$1.conf"
    systemctl daemon-reload
}

prop() { systemctl show -p "$1" --value "$UNIT"; }
main_pid() { prop MainPID; }
installed() { dpkg-query -W -f='${Status}' oom-adjust 2>/dev/null | grep -q 'install ok installed'; }
active_and_running() { [ "$(prop ActiveState)/$(prop SubState)" = active/running ]; }

# The agent restarted with whatever rules are in place now: systemctl blocks until READY=1, which
# the agent sends after its start-up sweep.
restart_agent() {
    systemctl restart "$UNIT" || fail "systemctl restart $UNIT failed: $(systemctl status "$UNIT" --no-pager -n 20 2>&1)"
    active_and_running || fail "$UNIT is $(prop ActiveState)/$(prop SubState) after a restart"
    say "agent restarted: pid $(main_pid)"
}

# A point in the journal's time, and what the unit logged since (the text journald keeps, priority
# stripped). Not a cursor: systemd 252's --after-cursor skips the first entry that matches -u or -p
# when the cursor's own entry does not.
journal_mark() { date +@%s.%6N; }
agent_log_since() { journalctl -u "$UNIT" --since="$1" -o cat --no-pager; }
agent_logged_since() { agent_log_since "$1" | grep -q -- "$2"; }

# `reload_and_wait MARK`: systemctl reload, then waits until the agent logged the reload's outcome
# (systemctl returns as soon as ExecReload= has sent SIGHUP) and told systemd READY=1 again.
reload_and_wait() {
    systemctl reload "$UNIT" || fail "systemctl reload $UNIT failed: $(agent_log_since "$1" | tail -n 5)"
    wait_for 20 agent_logged_since "$1" 'sweep finished .*reason=reload\|config reload failed' ||
        fail "the agent logged no reload outcome within 20 s after systemctl reload: $(agent_log_since "$1" | tail -n 5 | paste -sd'|' -)"
    wait_for 20 active_and_running || fail "$UNIT is $(prop ActiveState)/$(prop SubState) 20 s after a reload"
}

# `install_package`: dpkg -i of the package under test; its output is in $OAVM/dpkg.log.
install_package() { dpkg -i "$DEB" </dev/null >"$OAVM/dpkg.log" 2>&1; }
