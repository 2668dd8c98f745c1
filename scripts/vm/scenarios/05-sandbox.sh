# Scenario 5: the sandbox. The agent works under the shipped unit's full hardening (no drop-in): the
# kernel shows the bounding set, no_new_privs, seccomp, SCHED_FIFO and a mount namespace of its own
# with /proc reduced to PIDs and /usr read-only; a positive and a protective rule are both applied at
# exec; the metrics file is written. `systemd-analyze security` gives the exposure the docs claim
# (the figure is taken from docs/OPERATIONS.md on the host, into $OAVM/claimed-exposure).
. /opt/oavm/lib.sh

rules 50 "oavmsandboxa score=222
oavmsandboxb score=-222"
restart_agent
[ -z "$(prop DropInPaths)" ] || fail "the unit has drop-ins: $(prop DropInPaths)"
case "$(prop FragmentPath)" in /lib/systemd/system/$UNIT | /usr/lib/systemd/system/$UNIT) ;; *) fail "the unit comes from $(prop FragmentPath), not the package" ;; esac
agent=$(main_pid)
status=/proc/$agent/status

# CAP_DAC_OVERRIDE 1, CAP_NET_ADMIN 12, CAP_IPC_LOCK 14, CAP_SYS_PTRACE 19, CAP_SYS_NICE 23,
# CAP_SYS_RESOURCE 24, CAP_SYSLOG 34 (reading /dev/kmsg under dmesg_restrict=1).
grep -q '^CapBnd:[[:space:]]*0000000401885002$' "$status" || fail "bounding set: $(grep CapBnd "$status")"
grep -q '^NoNewPrivs:[[:space:]]*1$' "$status" || fail "no_new_privs is not set"
grep -q '^Seccomp:[[:space:]]*2$' "$status" || fail "no seccomp filter: $(grep Seccomp "$status")"
# Field 41 of stat is the scheduling policy; the comm in field 2 has no spaces here.
[ "$(cut -d' ' -f41 "/proc/$agent/stat")" = 1 ] || fail "the agent is not under SCHED_FIFO (policy $(cut -d' ' -f41 "/proc/$agent/stat"))"
[ "$(readlink "/proc/$agent/ns/mnt")" != "$(readlink /proc/1/ns/mnt)" ] || fail "the agent shares PID 1's mount namespace"
nsenter -t "$agent" -m test -e /proc/meminfo && fail "the agent's /proc shows more than PIDs (ProcSubset=pid)"
nsenter -t "$agent" -m test -e "/proc/$agent/oom_score_adj" || fail "the agent's /proc lacks its own PID directory"
nsenter -t "$agent" -m sh -c ': >/usr/oavm-sandbox-probe' 2>/dev/null && { rm -f /usr/oavm-sandbox-probe; fail "/usr is writable in the agent's namespace"; }
say "pid $agent: CapBnd, NoNewPrivs, seccomp, SCHED_FIFO, own mount namespace, ProcSubset=pid, read-only /usr"

copy_program /bin/sleep oavmsandboxa
copy_program /bin/sleep oavmsandboxb
launch oavmsandboxa 600
a=$started
launch oavmsandboxb 600
b=$started
expect_value "$a" 222 "a positive rule under the full sandbox"
expect_value "$b" -222 "a protective rule under the full sandbox"
wait_for 15 grep -q '^oom_adjust_' /run/oom-adjust/oom_adjust.prom || fail "no metrics in /run/oom-adjust/oom_adjust.prom"

claimed=$(cat "$OAVM/claimed-exposure")
report=$(systemd-analyze security --no-pager "$UNIT" 2>&1)
overall=$(printf '%s\n' "$report" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
say "systemd-analyze security: $(printf '%s\n' "$report" | grep 'Overall exposure')"
[ -n "$overall" ] || fail "systemd-analyze security printed no overall exposure: $(printf '%s\n' "$report" | tail -n 3)"
[ "$overall" = "$claimed" ] || fail "systemd-analyze security gives $overall, docs/OPERATIONS.md claims $claimed"
pass "works under the full hardening (222 and -222 at exec, metrics written); exposure $overall as the docs claim"
