#!/usr/bin/env bash
# Boots one kernel with one initramfs under qemu's TCG emulation and waits for the VM to power off:
#
#   scripts/vm/boot.sh VMLINUZ INITRD OUT_DIR TIMEOUT_SECONDS
#
# The VM has no network and no disk: its root file system is the initramfs, in memory. The first
# serial port (the kernel's and systemd's console) goes to OUT_DIR/console.log, the second (the
# scenario runner's report) to OUT_DIR/report.log. qemu is killed on every way out of this script:
# the deadline, a signal, an error. Exits 0 when the VM powered off by itself, 1 otherwise.
set -euo pipefail
kernel=${1:?usage: boot.sh VMLINUZ INITRD OUT_DIR TIMEOUT_SECONDS}
initrd=${2:?usage: boot.sh VMLINUZ INITRD OUT_DIR TIMEOUT_SECONDS}
out=${3:?usage: boot.sh VMLINUZ INITRD OUT_DIR TIMEOUT_SECONDS}
timeout=${4:?usage: boot.sh VMLINUZ INITRD OUT_DIR TIMEOUT_SECONDS}

# TCG only: nested KVM hangs on the machines this runs on, and -cpu host fails there.
# Two vCPUs: with one, the agent (SCHED_FIFO) would keep systemd off the CPU until it blocks, and no
# order of READY=1 and the start-up sweep could be observed (scenario 1).
# rdinit=/sbin/init: systemd as PID 1 straight from the initramfs. no_timer_check: on a busy host the
# emulated timer can miss the kernel's boot-time IO-APIC check, which then panics. panic=-1 with
# -no-reboot turns a kernel panic into qemu exiting.
timeout --kill-after=10 "$timeout" qemu-system-x86_64 -accel tcg -smp 2 -m "${OOM_ADJUST_VM_MEMORY_MB:-1024}" \
    -nodefaults -nic none -no-reboot -display none -monitor none \
    -kernel "$kernel" -initrd "$initrd" \
    -append "rdinit=/sbin/init console=ttyS0 no_timer_check panic=-1 loglevel=4 systemd.show_status=error" \
    -serial "file:$out/console.log" -serial "file:$out/report.log" </dev/null >"$out/qemu.log" 2>&1 &
qemu=$!
# timeout(1) passes a TERM on to qemu.
stop_qemu() {
    kill -TERM "$qemu" 2>/dev/null || true
    wait "$qemu" 2>/dev/null || true
}
trap stop_qemu EXIT
trap 'exit 130' INT TERM HUP

status=0
wait "$qemu" || status=$?
case "$status" in
0) ;;
124 | 137) echo "boot.sh: the VM did not power off within $timeout s; killed" >>"$out/qemu.log"; exit 1 ;;
*) echo "boot.sh: qemu exited with status $status" >>"$out/qemu.log"; exit 1 ;;
esac
