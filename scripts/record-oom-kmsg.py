#!/usr/bin/env python3
"""Records real OOM-kill reports from this machine's /dev/kmsg, for Tests/Fixtures/kmsg.

As root: makes a memory cgroup of its own (cgroup v1's memory hierarchy, or v2 where the memory
controller is on it) with a 64 MiB limit, and in it, for each process name below, a copy of
oom-adjust-testproc under that name that touches 20 MiB and then grows by 80 MiB, so the kernel's
memory-cgroup OOM killer kills it. The names hold what a comm may hold and the parser must survive:
spaces, commas, parentheses, the very text the kernel prints after a comm, a backslash, UTF-8.

Each report is written as the records read(2) returned them, from the `invoked oom-killer` record to
the victim's `Killed process` record, one record per line (dictionary lines start with a space), after
comment lines naming the kernel and the cgroup version. Everything it starts is killed, and the cgroup
removed, even on failure.

    scripts/record-oom-kmsg.py [TESTPROC] [OUTPUT_DIRECTORY]
"""
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time

NAMES = [
    ("comm-spaces-commas-parens", "oa (k) m,sg x"),
    ("comm-like-the-fields-after-it", "x) total-vm:1kB"),
    ("comm-like-the-summary-tail", "a,task=b,pid=1"),
    ("comm-backslash-utf8", "oa\\k\u00e9"),
]
LIMIT = 64 << 20


def memory_cgroup(name):
    """A new memory cgroup: (directory, version)."""
    own = open("/proc/self/cgroup").read().splitlines()
    mounts = [line.split(" - ") for line in open("/proc/self/mountinfo").read().splitlines()]
    for before, after in mounts:
        fields = after.split()
        if fields[0] == "cgroup" and "memory" in fields[2].split(","):
            point = before.split()[4]
            path = next(l.split(":", 2)[2] for l in own if "memory" in l.split(":", 2)[1].split(","))
            directory = point + path.rstrip("/") + "/" + name
            os.mkdir(directory)
            open(directory + "/memory.limit_in_bytes", "w").write(str(LIMIT))
            if os.path.exists(directory + "/memory.memsw.limit_in_bytes"):
                open(directory + "/memory.memsw.limit_in_bytes", "w").write(str(LIMIT))
            return directory, 1
    for before, after in mounts:
        fields = after.split()
        if fields[0] == "cgroup2":
            point = before.split()[4]
            if "memory" not in open(point + "/cgroup.controllers").read().split():
                continue
            subtree = open(point + "/cgroup.subtree_control").read().split()
            if "memory" not in subtree:
                open(point + "/cgroup.subtree_control", "w").write("+memory")
            directory = point + "/" + name
            os.mkdir(directory)
            open(directory + "/memory.max", "w").write(str(LIMIT))
            if os.path.exists(directory + "/memory.swap.max"):
                open(directory + "/memory.swap.max", "w").write("0")
            return directory, 2
    sys.exit("no memory cgroup controller is mounted")


def read_records(fd):
    records = []
    while True:
        try:
            records.append(os.read(fd, 8192))
        except BlockingIOError:
            return records
        except BrokenPipeError:
            continue


def record_one(testproc, directory, scratch, tag, name):
    binary = os.path.join(scratch, name)
    shutil.copy(testproc, binary)
    os.chmod(binary, 0o755)
    kmsg = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
    os.lseek(kmsg, 0, os.SEEK_END)
    process = subprocess.Popen(
        ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', directory + "/cgroup.procs", binary, "alloc", "20", "60", "80"],
        stdout=subprocess.PIPE)
    try:
        if not process.stdout.readline().startswith(b"ready "):
            sys.exit("the test program did not start")
        process.send_signal(signal.SIGUSR1)
        process.wait(timeout=30)
        time.sleep(0.2)
        records = read_records(kmsg)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(kmsg)
    starts = [i for i, r in enumerate(records) if b" invoked oom-killer: " in r]
    ends = [i for i, r in enumerate(records) if b"Killed process %d " % process.pid in r]
    if not starts or not ends:
        sys.exit("no OOM report for pid %d (%s) in the kernel log" % (process.pid, name))
    return records[starts[0]:ends[0] + 1], process.pid


def main():
    if os.geteuid() != 0:
        sys.exit("needs root")
    testproc = sys.argv[1] if len(sys.argv) > 1 else ".build/debug/oom-adjust-testproc"
    output = sys.argv[2] if len(sys.argv) > 2 else "Tests/Fixtures/kmsg"
    directory, version = memory_cgroup("oa-kmsg-%d" % os.getpid())
    scratch = tempfile.mkdtemp(prefix="oa-kmsg-")
    try:
        release = platform.release()
        for tag, name in NAMES:
            records, pid = record_one(os.path.abspath(testproc), directory, scratch, tag, name)
            path = os.path.join(output, "linux-%s-memcg-v%d-%s.kmsg" % (".".join(release.split("-")[0].split(".")[:2]), version, tag))
            with open(path, "wb") as out:
                out.write(b"# Recorded from /dev/kmsg by scripts/record-oom-kmsg.py on Linux %s, cgroup v%d, %s.\n"
                          % (release.encode(), version, time.strftime("%Y-%m-%d").encode()))
                out.write(b"# The victim: pid %d, comm %r (the test program under that name), killed at the cgroup's 64 MiB limit.\n"
                          % (pid, name.encode()))
                for record in records:
                    out.write(record if record.endswith(b"\n") else record + b"\n")
            print("wrote %s (%d records)" % (path, len(records)))
    finally:
        for _ in range(100):
            pids = open(directory + "/cgroup.procs").read().split()
            for pid in pids:
                os.kill(int(pid), signal.SIGKILL)
            if not pids:
                break
            time.sleep(0.05)
        for _ in range(100):
            try:
                os.rmdir(directory)
                break
            except OSError:
                time.sleep(0.05)
        shutil.rmtree(scratch, ignore_errors=True)


main()
