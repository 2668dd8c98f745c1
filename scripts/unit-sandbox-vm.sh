#!/usr/bin/env bash
# Checks etc/oom-adjust.service under a real systemd as PID 1, which this machine does not have: builds a
# minimal Debian 12 root file system (debootstrap), boots it as an initramfs with one of Debian's kernels
# in qemu (TCG, no KVM needed), kernel.dmesg_restrict=1, and prints what units with the shipped sandbox
# could do with the kernel log (scripts/oom-vm/kmsgprobe.c): the shipped unit's sandbox, the sandbox as
# it was before the agent read the kernel log, and the shipped one without CAP_SYSLOG.
#
# With --agent PATH (a release build with the Swift runtime linked in, as scripts/install.sh makes it,
# e.g. .build-release/release/oom-adjust) it also runs the agent under the shipped unit itself, with a
# rule for a hog that a memory-limited unit then gets OOM-killed, and prints the unit's state and log.
#
#   scripts/unit-sandbox-vm.sh [--agent PATH] [--kernel-package NAME]
#
# Needs root, debootstrap, gcc (static libc), cpio, qemu-system-x86_64 and the Debian mirror; about two
# minutes. Everything happens in a temporary directory, removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
agent=""
package=linux-image-6.1.0-50-cloud-amd64
while [ $# -gt 0 ]; do
    case "$1" in
    --agent) agent=$(realpath "$2"); shift 2 ;;
    --kernel-package) package=$2; shift 2 ;;
    *) echo "usage: $0 [--agent PATH] [--kernel-package NAME]" >&2; exit 64 ;;
    esac
done
for tool in debootstrap gcc cpio qemu-system-x86_64 apt-get dpkg-deb python3; do
    command -v "$tool" >/dev/null || { echo "unit-sandbox-vm.sh: $tool is missing" >&2; exit 1; }
done
work=$(mktemp -d /tmp/oa-unit-vm.XXXXXX)
trap 'rm -rf "$work"' EXIT
root="$work/root"
echo "unit-sandbox-vm.sh: debootstrap into $root" >&2
debootstrap --variant=minbase --include=systemd,systemd-sysv,libmnl0 bookworm "$root" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
gcc -static -O2 -o "$root/usr/local/bin/kmsgprobe" scripts/oom-vm/kmsgprobe.c
echo 'kernel.dmesg_restrict=1' >"$root/etc/sysctl.d/90-oa-dmesg-restrict.conf"
if [ -n "$agent" ]; then
    install -m 0755 "$agent" "$root/usr/local/sbin/oom-adjust"
    printf 'kmsgprobe score=900\n' >"$root/etc/oom_adjust.conf"
    chmod 0644 "$root/etc/oom_adjust.conf"
fi
python3 - "$root" "$([ -n "$agent" ] && echo agent)" <<'PY'
import sys
root, agent = sys.argv[1], sys.argv[2] == "agent"
unit = open("etc/oom-adjust.service").read()
units = root + "/etc/systemd/system/"
wants = units + "multi-user.target.wants/"

def probe(name, text):
    lines = []
    for line in text.splitlines():
        key = line.split("=")[0]
        if key in ("Type", "NotifyAccess", "ExecStart", "ExecReload", "WatchdogSec", "Restart", "RestartSec", "RestartPreventExitStatus"):
            continue
        # Each probe a runtime directory of its own: a shared one goes when the first unit using it stops.
        lines.append("RuntimeDirectory=" + name if key == "RuntimeDirectory" else line)
        if line == "[Service]":
            lines += ["Type=oneshot", "ExecStart=/usr/local/bin/kmsgprobe", "StandardOutput=journal+console"]
    open(units + name + ".service", "w").write("\n".join(lines) + "\n")

def drop(text, *keys):
    return "\n".join(l for l in text.splitlines() if l.split("=")[0] not in keys)

probe("oa-probe-shipped", unit)
before = drop(unit, "BindReadOnlyPaths", "DeviceAllow", "ProtectKernelLogs").replace(" CAP_SYSLOG\n", "\n").replace("ProtectKernelModules=yes", "ProtectKernelModules=yes\nProtectKernelLogs=yes")
probe("oa-probe-before", before)
probe("oa-probe-without-cap-syslog", unit.replace(" CAP_SYSLOG\n", "\n"))
names = ["oa-probe-shipped", "oa-probe-before", "oa-probe-without-cap-syslog"]
report = ["echo '=== probes: dmesg_restrict='$(cat /proc/sys/kernel/dmesg_restrict)' cgroup='$(stat -fc %%T /sys/fs/cgroup)"]
for name in names:
    report.append("echo '=== %s'; journalctl -b -u %s -o cat --no-pager | grep -v -e '^Start' -e '^Finish' -e 'Deactivated' -e 'Consumed'" % (name, name))
if agent:
    # After the probes, so that none of them runs alongside.
    open(units + "oom-adjust.service", "w").write(unit.replace("[Unit]\n", "[Unit]\nAfter=%s\n" % " ".join(n + ".service" for n in names), 1))
    open(units + "oa-hog.service", "w").write(
        "[Unit]\nDescription=A hog the kernel kills at its 32 MiB limit\nAfter=oom-adjust.service\nRequires=oom-adjust.service\n"
        "[Service]\nType=oneshot\nMemoryMax=32M\nMemorySwapMax=0\nExecStartPre=/bin/sleep 2\nExecStart=-/usr/local/bin/kmsgprobe hog 64\n")
    names += ["oom-adjust", "oa-hog"]
    report += [
        "sleep 11",
        "echo '=== oa-hog.service'; systemctl show oa-hog -p Result -p ExecMainStatus -p ExecMainCode --no-pager",
        "echo '=== oom-adjust.service'; systemctl show oom-adjust -p ActiveState -p SubState -p StatusText -p NRestarts --no-pager",
        "journalctl -b -u oom-adjust -o cat --no-pager",
        "echo '=== metrics'; grep -e oom_kills -e '^oom_adjust_rules' /run/oom-adjust/oom_adjust.prom",
    ]
for name in names:
    try:
        import os
        os.symlink("/etc/systemd/system/%s.service" % name, wants + name + ".service")
    except FileExistsError:
        pass
report.append("echo '=== done'; systemctl poweroff")
open(units + "oa-report.service", "w").write(
    "[Unit]\nDescription=Print what the probes found, then power off\nAfter=%s\n[Service]\nType=oneshot\nStandardOutput=tty\nTTYPath=/dev/console\nExecStart=/bin/sh -c \"%s\"\n"
    % (" ".join(n + ".service" for n in names), "; ".join(report).replace('"', '\\"')))
os.symlink("/etc/systemd/system/oa-report.service", wants + "oa-report.service")
PY
ln -sf /lib/systemd/systemd "$root/init"
(cd "$root" && find . | cpio -o -H newc 2>/dev/null | gzip -1 >"$work/rootfs.cpio.gz")
(cd "$work" && apt-get download "$package" >/dev/null 2>&1)
dpkg-deb -x "$work/$package"_*.deb "$work/kernel"
echo "unit-sandbox-vm.sh: booting $package with $(chroot "$root" systemctl --version | head -1)" >&2
timeout 900 qemu-system-x86_64 -accel tcg -m 1536M -smp 2 -kernel "$work/kernel"/boot/vmlinuz-* -initrd "$work/rootfs.cpio.gz" \
    -append "console=ttyS0 panic=-1 rdinit=/init systemd.unit=multi-user.target" -nographic -no-reboot >"$work/serial.log" 2>&1 || true
sed -n '/=== probes/,/=== done/p' "$work/serial.log" | sed 's/\x1b\[[0-9;]*m//g; s/\r$//'
