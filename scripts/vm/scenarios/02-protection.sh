# Scenario 2: real protection. A protective rule's value is really written at exec: -500, which the
# kernel accepts only from a writer with CAP_SYS_RESOURCE (the unit's bounding set grants it). A
# control process of the same binary under a name no rule knows keeps 0.
. /opt/oavm/lib.sh

rules 20 "oavmprotect score=-500"
restart_agent
copy_program /bin/sleep oavmprotect
copy_program /bin/sleep oavmcontrol
launch oavmprotect 600
protected=$started
launch oavmcontrol 600
control=$started
expect_value "$protected" -500 "a root-owned copy of sleep named by the -500 rule, started after the agent"
[ "$(value_of "$control")" = 0 ] || fail "the control process (no rule) has $(value_of "$control"), not 0"
pass "-500 applied at exec (pid $protected); the unnamed control kept 0"
