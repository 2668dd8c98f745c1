# Scenario 2b: protection is bound to identity (issue 9). A protected process (a root-owned program
# named by a -500 rule, running as root, a system account) forks
#   - a child that drops to nobody with setresuid and stays in the same binary: the agent writes the
#     parent's baseline (0) back, which also resets the kernel's floor, so the child cannot lower its
#     value back (-500 and -1000 both fail with EACCES, while 0 is still writable);
#   - a child that stays root and execs a program no rule names: it gets the baseline back too.
# oavm-dropper (scripts/vm/guest/dropper.c) does the forking and reports what it saw.
. /opt/oavm/lib.sh

rules 21 "oavmguard score=-500"
restart_agent
copy_program "$OAVM/dropper" oavmguard
copy_program /bin/sleep oavmplain
# `guard MODE ARGUMENT`: runs the protected program; its lines go to the log, its first "no: " to the verdict.
guard() {
    "$BIN/oavmguard" "$1" -500 0 "$2" >"$OAVM/guard.out" 2>&1
    status=$?
    while read -r line; do say "$line"; done <"$OAVM/guard.out"
    [ "$status" -eq 0 ] || fail "$(sed -n 's/^no: //p' "$OAVM/guard.out" | head -n 1)"
}
at_exit rm -f "$OAVM/guard.out"
guard setresuid "$NOBODY"
guard exec "$BIN/oavmplain"
pass "children of a -500 process that drop to nobody or exec an unnamed program get 0 back, and nobody cannot lower it"
