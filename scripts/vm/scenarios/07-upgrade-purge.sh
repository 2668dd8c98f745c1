# Scenario 7 (runs last: it purges the package). Installing the package again, as an upgrade to a newer
# version (the same package rebuilt with a higher version: dpkg runs the same maintainer scripts with
# the same arguments as for a reinstall, and the version check proves it really replaced the package),
# keeps an administrator's change to the conffile /etc/oom_adjust.conf, and the restarted agent
# applies it. `dpkg --purge` then stops the service and removes the unit, its enablement, the binary
# and the conffile.
. /opt/oavm/lib.sh

printf '\n# added by the administrator\noavmkeep score=77\n' >>"$CONF"
cp "$CONF" "$OAVM/conf.modified"

# The same package, one version up (built by vm-test.sh on the host).
version=$(dpkg-deb -f "$DEB" Version)
newer=$(dpkg-deb -f "$NEWER_DEB" Version)
dpkg --compare-versions "$newer" gt "$version" || fail "$newer does not sort after $version"
before=$(main_pid)
dpkg -i "$NEWER_DEB" </dev/null >"$OAVM/dpkg.log" 2>&1 || fail "the upgrade to $newer failed: $(tail -n 5 "$OAVM/dpkg.log")"
grep -q "Unpacking oom-adjust ($newer) over ($version)" "$OAVM/dpkg.log" || fail "dpkg did not upgrade: $(cat "$OAVM/dpkg.log")"
cmp -s "$CONF" "$OAVM/conf.modified" || fail "the upgrade changed the modified $CONF"
[ "$(dpkg-query -W -f='${Version}' oom-adjust)" = "$newer" ] || fail "installed version is $(dpkg-query -W -f='${Version}' oom-adjust)"
active_and_running || fail "$UNIT is $(prop ActiveState)/$(prop SubState) after the upgrade"
[ "$(main_pid)" != "$before" ] || fail "the upgrade did not restart the agent (pid $before)"
copy_program /bin/sleep oavmkeep
launch oavmkeep 600
expect_value "$started" 77 "the administrator's rule after the upgrade"
say "upgrade $version -> $newer: $CONF kept, agent restarted (pid $before -> $(main_pid)) and applies it"

agent=$(main_pid)
dpkg --purge oom-adjust </dev/null >"$OAVM/dpkg.log" 2>&1 || fail "dpkg --purge failed: $(tail -n 5 "$OAVM/dpkg.log")"
say "dpkg --purge: done"
! installed || fail "the package is still installed"
[ ! -d "/proc/$agent" ] || fail "the agent (pid $agent) still runs after the purge"
[ "$(prop LoadState)" = not-found ] || fail "systemd still knows the unit: LoadState=$(prop LoadState)"
[ "$(systemctl is-active "$UNIT")" != active ] || fail "$UNIT is still active"
for path in /lib/systemd/system/$UNIT /etc/systemd/system/multi-user.target.wants/$UNIT "$CONF" /usr/sbin/oom-adjust; do
    [ ! -e "$path" ] && [ ! -L "$path" ] || fail "$path is still there after the purge"
done
for comm in /proc/[0-9]*/comm; do
    [ "$(cat "$comm" 2>/dev/null)" != oom-adjust ] || fail "a process named oom-adjust still runs (${comm%/comm})"
done
pass "an upgrade kept the modified $CONF (and applied it); purge stopped the agent and removed unit, enablement and conffile"
