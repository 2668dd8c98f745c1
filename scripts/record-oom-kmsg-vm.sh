#!/usr/bin/env bash
# Records real OOM-kill reports of other kernel versions for Tests/Fixtures/kmsg: boots a Debian kernel
# package in qemu (TCG, no KVM needed) with scripts/oom-vm/init.c as PID 1, which causes a memory-cgroup
# OOM kill (cgroup v2) and a global one inside the VM, and prints /dev/kmsg hex-encoded on the serial
# console. Each report (from `invoked oom-killer` to `Killed process`) becomes one fixture file.
# Nothing outside the VM runs short of memory; the work directory is removed at the end.
#
#   scripts/record-oom-kmsg-vm.sh linux-image-6.1.0-50-cloud-amd64 [more packages...]
set -euo pipefail
cd "$(dirname "$0")/.."
output=Tests/Fixtures/kmsg
work=$(mktemp -d /tmp/oa-oom-vm.XXXXXX)
trap 'rm -rf "$work"' EXIT
for tool in gcc cpio qemu-system-x86_64 apt-get dpkg-deb; do
    command -v "$tool" >/dev/null || { echo "record-oom-kmsg-vm.sh: $tool is missing" >&2; exit 1; }
done
mkdir -p "$work/root/proc" "$work/root/sys" "$work/root/dev"
gcc -static -O2 -o "$work/root/init" scripts/oom-vm/init.c
(cd "$work/root" && find . | cpio -o -H newc 2>/dev/null | gzip >"$work/initrd.gz")
for package in "$@"; do
    (cd "$work" && apt-get download "$package" >/dev/null 2>&1)
    dpkg-deb -x "$work/$package"_*.deb "$work/$package"
    kernel=$(ls "$work/$package"/boot/vmlinuz-*)
    timeout 600 qemu-system-x86_64 -accel tcg -m 256M -smp 1 -kernel "$kernel" -initrd "$work/initrd.gz" \
        -append "console=ttyS0 panic=-1 quiet" -nographic -no-reboot >"$work/serial.log" 2>&1
    version=$(dpkg-deb -f "$work/$package"_*.deb Version)
    python3 - "$work/serial.log" "$output" "$package $version" <<'PY'
import re, sys, time
log, output, package = sys.argv[1:]
text = open(log, "rb").read().decode("latin-1")
release = re.search(r"=== kmsg begin (\S+) ===", text).group(1)
records = [bytes.fromhex(m) for m in re.findall(r"^KMSG ([0-9a-f]+)\r?$", text, re.M)]
start = None
for index, record in enumerate(records):
    if b" invoked oom-killer: " in record:
        start = index
    elif b"Killed process" in record and start is not None:
        kind = "memcg-v2" if b"Memory cgroup out of memory" in record else "global"
        version = ".".join(release.split("+")[0].split("-")[0].split(".")[:2])
        path = "%s/linux-%s-%s.kmsg" % (output, version, kind)
        with open(path, "wb") as out:
            out.write(b"# Recorded from /dev/kmsg inside a qemu VM by scripts/record-oom-kmsg-vm.sh: Debian's %s (%s), %s.\n"
                      % (package.encode(), release.encode(), time.strftime("%Y-%m-%d").encode()))
            out.write(b"# PID 1 is scripts/oom-vm/init.c: the victims are its hogs, named by prctl(PR_SET_NAME).\n")
            for r in records[start:index + 1]:
                out.write(r if r.endswith(b"\n") else r + b"\n")
        print("wrote", path, index + 1 - start, "records")
        start = None
PY
done
