#!/usr/bin/env bash
# The VM suite: the .deb on a minimal Debian 12 with systemd as PID 1 and every capability, under
# Debian's own kernels (6.1 from Debian 12, 6.12 from Debian 13), emulated by qemu (TCG). As root:
#
#   scripts/vm-test.sh                        every scenario on both kernels
#   scripts/vm-test.sh --scenario 3           one scenario (repeat, or 2,2b, for more)
#   scripts/vm-test.sh --kernel 6.1           one kernel (6.1 or 6.12)
#   scripts/vm-test.sh --deb out/x.deb        this package instead of building one
#
# Scenarios (scripts/vm/scenarios/NN-name.sh, run inside the VM by scripts/vm/guest/run-scenarios.sh):
#   1 dpkg -i: enabled and active, READY=1 after the start-up sweep   2 a real -500 at exec
#   2b a protected process's child that drops to nobody (or execs an unnamed program) gets 0 back
#   3 systemctl reload, and a broken config keeps the old rules       4 the watchdog restarts a stopped agent
#   5 the shipped sandbox, and systemd-analyze security's figure      6 journalctl -p warning
#   7 reinstall and upgrade keep a modified conffile; purge           8 a real OOM kill decided by the rules
# All scenarios of one kernel run in one boot, in that order but 7 last (it purges the package); any
# other scenario starts by installing the package when it is not. The two kernels boot side by side.
#
# Prints one line per scenario per kernel and exits 1 if any failed. Without --deb it builds the
# package with scripts/package-deb.sh (its last line of output is the .deb's path).
#
# The root file system (debootstrap) and the kernels (apt-get download) are built or fetched once, into
# OOM_ADJUST_VM_CACHE (default /var/cache/oom-adjust-vm, never inside the clone); everything else lives
# in a temporary directory that is removed, and qemu is killed on every way out. The VM has no network.
# The console logs of the last run stay in the cache's logs/ for a look after a failure.
# OOM_ADJUST_VM_TIMEOUT bounds one boot (default 1200 s); scripts/ensure-vm-deps.sh installs qemu,
# debootstrap, cpio and gcc when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

# The order the scenarios run in; 7 purges the package, so it comes last.
order=(1 2 2b 3 4 5 6 8 7)
scenarios=()
kernels=()
deb=
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
    --scenario) IFS=, read -ra more <<<"${2:?--scenario needs an id, e.g. 3 or 2b}"; scenarios+=("${more[@]}"); shift 2 ;;
    --scenario=*) IFS=, read -ra more <<<"${1#*=}"; scenarios+=("${more[@]}"); shift ;;
    --kernel) kernels+=("${2:?--kernel needs 6.1 or 6.12}"); shift 2 ;;
    --kernel=*) kernels+=("${1#*=}"); shift ;;
    --deb) deb=${2:?--deb needs the path of a .deb}; shift 2 ;;
    --deb=*) deb=${1#*=}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "vm-test.sh: unknown argument $1 (see --help)" >&2; exit 64 ;;
    esac
done
[ ${#kernels[@]} -gt 0 ] || kernels=(6.1 6.12)
for kernel in "${kernels[@]}"; do
    case "$kernel" in 6.1 | 6.12) ;; *) echo "vm-test.sh: --kernel $kernel: there are 6.1 (Debian 12) and 6.12 (Debian 13)" >&2; exit 64 ;; esac
done
selection=()
for id in "${order[@]}"; do
    if [ ${#scenarios[@]} -eq 0 ] || printf '%s\n' "${scenarios[@]}" | grep -qx "$id"; then selection+=("$id"); fi
done
for id in "${scenarios[@]}"; do
    printf '%s\n' "${order[@]}" | grep -qx "$id" || { echo "vm-test.sh: --scenario $id: there are ${order[*]}" >&2; exit 64; }
done
if [ "$(id -u)" -ne 0 ]; then
    echo "vm-test.sh: needs root (debootstrap builds the VM's root file system); run it with sudo" >&2
    exit 1
fi

cache=${OOM_ADJUST_VM_CACHE:-/var/cache/oom-adjust-vm}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
case "$cache/" in "$repo"/*)
    echo "vm-test.sh: OOM_ADJUST_VM_CACHE=$cache is inside the clone; choose a directory outside it" >&2
    exit 64 ;;
esac
scripts/ensure-vm-deps.sh

work=$(mktemp -d "${TMPDIR:-/tmp}/oom-adjust-vm.XXXXXX")
boots=()
cleanup() {
    for pid in "${boots[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${boots[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
started=$SECONDS

if [ -z "$deb" ]; then
    # Its last line on stdout names the .deb; everything else it prints is the build's.
    scripts/package-deb.sh >"$work/package.out" 2>"$work/package.err" </dev/null || {
        tail -n 20 "$work/package.out" "$work/package.err" >&2
        echo "vm-test.sh: scripts/package-deb.sh failed (above)" >&2
        exit 1
    }
    deb=$(tail -n 1 "$work/package.out")
fi
if [ ! -f "$deb" ] || [ "$(dpkg-deb -f "$deb" Package 2>/dev/null)" != oom-adjust ]; then
    echo "vm-test.sh: $deb is not an oom-adjust .deb (build one with scripts/package-deb.sh, or drop --deb)" >&2
    exit 64
fi
deb=$(realpath "$deb")
echo "vm-test.sh: $(basename "$deb"), scenarios ${selection[*]}, kernels ${kernels[*]}, cache $cache" >&2

rootfs=$(scripts/vm/rootfs.sh "$cache" "$deb")
declare -A vmlinuz
for kernel in "${kernels[@]}"; do vmlinuz[$kernel]=$(scripts/vm/kernel.sh "$cache" "$kernel"); done
prepared=$SECONDS

# What the VM gets on top of the cached root file system: the package (and, for scenario 7's upgrade,
# the same one version up), the runner and its unit, the scenarios, the 2b helper, and the exposure
# figure the docs claim (scenario 5 compares).
overlay=$work/overlay
mkdir -p "$overlay/opt/oavm/scenarios" "$overlay/etc/systemd/system/multi-user.target.wants"
cp "$deb" "$overlay/opt/oavm/oom-adjust.deb"
dpkg-deb -R "$deb" "$work/newer"
sed -i 's/^Version: .*/&+vm1/' "$work/newer/DEBIAN/control"
dpkg-deb --root-owner-group -Zgzip -b "$work/newer" "$overlay/opt/oavm/oom-adjust-newer.deb" >/dev/null
cp scripts/vm/guest/lib.sh scripts/vm/guest/run-scenarios.sh "$overlay/opt/oavm/"
cp scripts/vm/scenarios/*.sh "$overlay/opt/oavm/scenarios/"
printf '%s\n' "${selection[@]}" >"$overlay/opt/oavm/selection"
gcc -O2 -Wall -Werror -static -o "$overlay/opt/oavm/dropper" scripts/vm/guest/dropper.c
claimed=$(tr '\n' ' ' <docs/OPERATIONS.md | grep -o 'Exposure score\*\*:[^*]*\*\*[0-9.]*' | grep -o '[0-9.]*$' || true)
[ -n "$claimed" ] || { echo "vm-test.sh: docs/OPERATIONS.md states no **Exposure score** figure for scenario 5" >&2; exit 1; }
echo "$claimed" >"$overlay/opt/oavm/claimed-exposure"
cp scripts/vm/guest/oavm-runner.service "$overlay/etc/systemd/system/"
ln -s ../oavm-runner.service "$overlay/etc/systemd/system/multi-user.target.wants/oavm-runner.service"
# The kernel unpacks concatenated cpio archives one after the other into the same root.
(cd "$overlay" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet --owner=0:0) >"$work/overlay.cpio"
cat "$rootfs" "$work/overlay.cpio" >"$work/initrd.cpio"

for kernel in "${kernels[@]}"; do
    mkdir -p "$work/$kernel"
    scripts/vm/boot.sh "${vmlinuz[$kernel]}" "$work/initrd.cpio" "$work/$kernel" "${OOM_ADJUST_VM_TIMEOUT:-1200}" &
    boots+=($!)
done
booted=()
for pid in "${boots[@]}"; do
    if wait "$pid"; then booted+=(yes); else booted+=(no); fi
done
boots=()

passed=0
failed=0
mkdir -p "$cache/logs"
for index in "${!kernels[@]}"; do
    kernel=${kernels[$index]}
    out=$work/$kernel
    report=$out/report.txt
    tr -d '\r' <"$out/report.log" >"$report" 2>/dev/null || : >"$report"
    cp "$out/console.log" "$cache/logs/console-$kernel.log" 2>/dev/null || true
    cp "$report" "$cache/logs/report-$kernel.log"
    info=$(sed -n 's/^INFO //p' "$report" | paste -sd';' - | sed 's/;/, /g')
    echo "vm-test.sh: $kernel: ${info:-no report from the VM}"
    [ "${booted[$index]}" = yes ] || sed 's/^/vm-test.sh:     qemu: /' "$out/qemu.log"
    for id in "${selection[@]}"; do
        line=$(grep "^RESULT $id " "$report" | head -n 1 || true)
        if [ -z "$line" ]; then
            outcome=fail seconds=- summary="no result: the VM stopped before it (console: $cache/logs/console-$kernel.log)"
        else
            read -r _ _ outcome seconds summary <<<"$line"
        fi
        printf 'vm-test.sh: %-5s scenario %-3s %-5s %6s s  %s\n' "$kernel" "$id" "$outcome" "$seconds" "$summary"
        if [ "$outcome" = pass ]; then
            passed=$((passed + 1))
        else
            failed=$((failed + 1))
            sed -n "s/^LOG $id /vm-test.sh:     | /p" "$report"
        fi
    done
done
echo "vm-test.sh: $((SECONDS - started)) s in all ($((prepared - started)) s for the package, root file system and kernels, $((SECONDS - prepared)) s for the VMs)"
echo "vm-test.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
