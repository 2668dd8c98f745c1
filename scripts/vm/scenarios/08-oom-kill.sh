# Scenario 8: a real OOM kill in a cgroup-v2 memory group under systemd, decided by the rules. In a
# transient service limited to 128 MiB, `oavmoomkeep` holds 72 MiB and `oavmoomhog` grows 4 MiB at a
# time. Left alone, the kernel would kill the larger one, oavmoomkeep; the rules give it -500 and the
# hog 500, so the kernel must kill the hog and leave the larger process alive.
. /opt/oavm/lib.sh

group=oavm-oom-test
rules 80 "oavmoomkeep score=-500
oavmoomhog score=500"
restart_agent
# Copies of perl (perl-base is Essential), root-owned, so the protective rule passes the trust policy.
copy_program /usr/bin/perl oavmoomkeep
copy_program /usr/bin/perl oavmoomhog
pids=/run/$group.pids
script=$OAVM/oom-group.sh
at_exit "systemctl stop $group.service 2>/dev/null; systemctl reset-failed $group.service 2>/dev/null; rm -f $pids $script"

# What runs in the group: the process to keep, which fills its block at once (`x=` grows it in
# place, one allocation), and the hog, which grows only when told (SIGUSR1), once both values are set.
cat >"$script" <<END
$BIN/oavmoomkeep -e 'my \$block = "k"; \$block x= 72 << 20; sleep 600' &
echo "keep \$!" >$pids
$BIN/oavmoomhog -e '\$SIG{USR1} = sub { \$go = 1 }; sleep 1 until \$go;
    my @held; while (1) { push @held, "h" x (4 << 20); select(undef, undef, undef, 0.02) }' &
echo "hog \$!" >>$pids
wait
END
# OOMPolicy=continue: systemd must not stop the whole service after the first kill.
systemd-run --quiet --unit="$group" --service-type=exec -p MemoryMax=128M -p MemorySwapMax=0 -p OOMPolicy=continue \
    /bin/sh "$script" || fail "systemd-run failed"
have_both() { [ "$(wc -l <"$pids" 2>/dev/null)" = 2 ]; }
wait_for 20 have_both || fail "the transient service did not start both processes"
keep=$(sed -n 's/^keep //p' "$pids")
hog=$(sed -n 's/^hog //p' "$pids")
cgroup=/sys/fs/cgroup$(cut -d: -f3 "/proc/$keep/cgroup")
[ "$(cat "$cgroup/memory.max")" = $((128 << 20)) ] || fail "$cgroup has memory.max $(cat "$cgroup/memory.max")"
expect_value "$keep" -500 "the process to keep"
expect_value "$hog" 500 "the hog"
rss_kib() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }
holds_block() { [ "$(rss_kib "$keep")" -gt $((72 << 10)) ]; }
wait_for 30 holds_block || fail "oavmoomkeep holds only $(rss_kib "$keep") KiB"
say "in $cgroup: keep (pid $keep, $(rss_kib "$keep") KiB, -500), hog (pid $hog, $(rss_kib "$hog") KiB, 500)"

kill -USR1 "$hog"
hog_gone() { ! alive "$hog"; }
wait_for 60 hog_gone || fail "the hog is still alive 60 s after it started growing ($(rss_kib "$hog") KiB)"
alive "$keep" || fail "the kernel killed the process the rules protect (pid $keep), not the hog"
kills=$(sed -n 's/^oom_kill //p' "$cgroup/memory.events")
[ "${kills:-0}" -ge 1 ] || fail "memory.events counts no OOM kill: the hog died otherwise"
dmesg | grep -q "Killed process $hog (oavmoomhog)" || fail "the kernel log does not name the hog as the OOM victim: $(dmesg | grep -i 'killed process' | tail -n 2)"
say "kernel: $(dmesg | grep "Killed process $hog" | tail -n 1 | sed 's/^\[[^]]*\] //')"
pass "the memory cgroup's OOM killer took the 500 hog (pid $hog) and left the larger -500 process alive ($(rss_kib "$keep") KiB)"
