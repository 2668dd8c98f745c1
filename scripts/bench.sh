#!/usr/bin/env bash
# scripts/bench.sh: measures oom-adjust against a minimal C reference on this machine, from the kernel's
# own tracepoints. Needs root (the proc connector, tracefs, SCHED_FIFO), gcc and the Linux UAPI headers.
#
# What it measures (figures, not pass/fail; the summary marks each target met or missed):
#   1. exec → adjust latency, idle and during an exec storm. A private tracefs instance
#      (instances/oa-bench-PID, trace_clock mono) records sched:sched_process_exec and
#      oom:oom_score_adj_update; latency = update time − exec time for the same pid, in ns from the raw
#      ring buffer. An update before the exec tracepoint (acted on the fork, or on the new comm early)
#      counts as 0 and is counted as "early"; a probe with no update is "missed". Probes are copies of
#      /bin/sleep under two names unique to the run, spawned alternately: one named in the agent's rule
#      (score=123), one in the reference's (124). Agent (release build, --realtime-priority P) and the
#      reference listener (written and compiled here, SCHED_FIFO P, memory locked) run side by side and
#      both see every event. The storm is parallel posix_spawn loops of /bin/true, bounded in time.
#   2. CPU% of each during the storm (utime+stime from /proc/PID/stat) and VmRSS / RssAnon after it.
#   3. Memory stability: the agent's RssAnon before and after N process events (an exec loop).
#   4. Allocations on the event path: uprobes on libc's allocators, filtered to the agent's pid, during
#      an exec storm of names no rule matches; reported as allocator calls per received datagram.
#   5. Sweep time: with N extra sleeping processes, `oom-adjust once` as a whole process against a
#      minimal C sweep (getdents /proc, openat each /proc/PID, read comm and oom_score_adj), median of
#      several alternating runs; and `oom-adjust rank` over the same processes (each named by a rule),
#      median of as many runs.
#   6. Cost of a large rule set: two agents side by side, one with a single rule, one with N exact
#      rules and G globs (literal prefixes, a few bracket, suffix-only and unanchored ones), each
#      with its own probe name; idle and storm latency of both, their CPU during the storm, the big
#      one's allocator calls per unmatched datagram (comms that walk its glob index and miss), and
#      `check` and a SIGHUP reload of the big config, timed.
#
# Safety: it touches only processes it spawned, under names unique to the run; every loop is bounded in
# count and time; an EXIT trap kills and reaps all it started, removes the uprobes and the tracefs
# instance (and unmounts tracefs if it mounted it). All values written are >= 0, so it needs no
# CAP_SYS_RESOURCE. It never reads etc/oom_adjust.conf.
#
# Usage: scripts/bench.sh [options]
#   --quick               a short run: 60 probes per phase, 2,000 sleepers, 20,000 events, 3 sweep runs
#   --probes N            probes per listener per phase (default 300)
#   --gap-ms N            pause between two probes (default 15)
#   --storm-loops N       parallel exec loops in the storm (default: number of CPUs)
#   --sweep-procs N       extra sleeping processes for the sweep timing (default 10000)
#   --sweep-runs N        timed runs of each sweep; the median is reported (default 7)
#   --mem-events N        process events for the memory check (default 100000; each exec is 2: fork, exec)
#   --alloc-execs N       execs in the allocation check (default 5000)
#   --rules N             exact rules in the large rule set of phase 6 (default 10000)
#   --rules-globs N       globs in it (default 500)
#   --priority N          SCHED_FIFO priority of both listeners (default 10)
#   --agent PATH          use this oom-adjust binary instead of building one
#   --scratch-path DIR    SwiftPM scratch path for the release build (default .build-bench)
#   --skip PHASES         comma-separated phases to skip: latency,memory,alloc,sweep,rules
#   --keep                keep the temporary directory (traces, logs) and print its path
# Documented in README.md, "Benchmarks".
set -euo pipefail

PROBES=300 GAP_MS=15 STORM_LOOPS=$(nproc) SWEEP_PROCS=10000 SWEEP_RUNS=7 MEM_EVENTS=100000
ALLOC_EXECS=5000 PRIORITY=10 AGENT="" SCRATCH=.build-bench SKIP="" KEEP=0 RULES=10000 RULES_GLOBS=500
PROBE_LIFE=1          # seconds each probe lives: far above any latency, so a late write still lands
STORM_MAX_SECONDS=120 # no storm runs longer than this, whatever happens
IDLE_MAX_SECONDS=600  # the sleepers die by themselves after this

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-0}"; }
while (($#)); do
    case "$1" in
    --quick) PROBES=60 SWEEP_PROCS=2000 SWEEP_RUNS=3 MEM_EVENTS=20000 ALLOC_EXECS=1000 ;;
    --probes) PROBES=$2; shift ;;
    --gap-ms) GAP_MS=$2; shift ;;
    --storm-loops) STORM_LOOPS=$2; shift ;;
    --sweep-procs) SWEEP_PROCS=$2; shift ;;
    --sweep-runs) SWEEP_RUNS=$2; shift ;;
    --mem-events) MEM_EVENTS=$2; shift ;;
    --alloc-execs) ALLOC_EXECS=$2; shift ;;
    --rules) RULES=$2; shift ;;
    --rules-globs) RULES_GLOBS=$2; shift ;;
    --priority) PRIORITY=$2; shift ;;
    --agent) AGENT=$2; shift ;;
    --scratch-path) SCRATCH=$2; shift ;;
    --skip) SKIP=$2; shift ;;
    --keep) KEEP=1 ;;
    -h | --help) usage 0 ;;
    *) echo "bench: unknown option $1 (see --help)" >&2; exit 64 ;;
    esac
    shift
done
for n in PROBES GAP_MS STORM_LOOPS SWEEP_PROCS SWEEP_RUNS MEM_EVENTS ALLOC_EXECS PRIORITY RULES RULES_GLOBS; do
    [[ ${!n} =~ ^[0-9]+$ ]] || { n=${n,,}; echo "bench: --${n//_/-} needs a whole number" >&2; exit 64; }
done
# The exact names are TAG, `e` and a base-36 number of at most 4 digits, to stay within 15 bytes.
((RULES <= 36 ** 4 - 1 && RULES_GLOBS <= 9999)) || { echo "bench: --rules is at most 1679615 and --rules-globs 9999" >&2; exit 64; }
((PRIORITY >= 1 && PRIORITY <= 99)) || { echo "bench: --priority must be 1..99" >&2; exit 64; }
skipped() { [[ ",$SKIP," == *",$1,"* ]]; }

cd "$(dirname "$0")/.."
[[ $(id -u) == 0 ]] || { echo "bench: needs root (proc connector, tracefs, SCHED_FIFO)" >&2; exit 1; }
command -v gcc >/dev/null || { echo "bench: needs gcc" >&2; exit 1; }

log() { printf '%s bench: %s\n' "$(date +%T)" "$*" >&2; }
fail() { log "error: $*"; exit 1; }

# ---- everything the EXIT trap undoes -------------------------------------------------------------
TMP=$(mktemp -d /tmp/oa-bench.XXXXXX)
TRACEFS=/sys/kernel/tracing
INSTANCE=""
MOUNTED_TRACEFS=0
UPROBE_GROUP="oab_$$"
UPROBES=()
CHILDREN=() # every process started in the background, by pid

# A pid this shell started may have exited and been reused by the time it is signalled (the storms
# churn through pid_max quickly), so only a process whose parent is this shell is ever signalled.
is_child() { [[ -r /proc/$1/stat && $(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $2 }') == "$$" ]]; }
signal_child() { if is_child "$2"; then kill "-$1" "$2" 2>/dev/null || true; fi; }

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    set +e
    for pid in "${CHILDREN[@]}"; do signal_child TERM "$pid"; done
    for _ in {1..25}; do
        local alive=0
        for pid in "${CHILDREN[@]}"; do is_child "$pid" && alive=1; done
        ((alive)) || break
        sleep 0.2
    done
    for pid in "${CHILDREN[@]}"; do signal_child KILL "$pid"; done
    wait 2>/dev/null
    if [[ -n $INSTANCE && -d $INSTANCE ]]; then
        echo 0 >"$INSTANCE/tracing_on"
        echo 0 >"$INSTANCE/events/enable"
    fi
    for probe in "${UPROBES[@]}"; do echo "-:$probe" >>"$TRACEFS/uprobe_events"; done
    [[ -n $INSTANCE && -d $INSTANCE ]] && rmdir "$INSTANCE"
    ((MOUNTED_TRACEFS)) && umount "$TRACEFS"
    if ((KEEP)); then log "kept $TMP"; else rm -rf "$TMP"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts "$@" in the background with stdout and stderr in files; its pid lands in LAST_PID.
start_bg() {
    local out=$1 err=$2
    shift 2
    "$@" >"$out" 2>"$err" </dev/null &
    LAST_PID=$!
    CHILDREN+=("$LAST_PID")
}

# Waits until FILE holds a line matching PATTERN, for at most SECONDS.
wait_for_line() {
    local file=$1 pattern=$2 seconds=$3 i
    for ((i = 0; i < seconds * 20; i++)); do
        grep -q -- "$pattern" "$file" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

status_kb() { awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/status"; }
# CPU time in ns: the scheduler's own sum (/proc/PID/schedstat, field 1), finer than utime + stime's
# clock ticks, which a few seconds of 10 % CPU would give to within a few per cent only.
cpu_ns() { awk '{ print $1 }' "/proc/$1/schedstat"; }
now_ns() { echo $((${EPOCHREALTIME/./} * 1000)); }
CLK_TCK=$(getconf CLK_TCK)

# "n p50 p90 p99 max" in microseconds, nearest-rank, of a file of nanosecond values.
percentiles() {
    sort -n "$1" | awk '
        function rank(p,  i) { i = int((p * NR + 99) / 100); return i < 1 ? 1 : i }
        { v[NR] = $1 }
        END {
            if (NR == 0) { print 0, "-", "-", "-", "-"; exit }
            printf "%d %.1f %.1f %.1f %.1f\n", NR, v[rank(50)] / 1000, v[rank(90)] / 1000, v[rank(99)] / 1000, v[NR] / 1000
        }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }

# ---- the helper: reference listener, sweep, sleepers, storm, probes, timer, ring-buffer reader ----
HELPER_SOURCE=$TMP/oa-bench-helper.c
cat >"$HELPER_SOURCE" <<'CEOF'
// oa-bench-helper: what scripts/bench.sh compiles for one run. Minimal on purpose: every mode does the
// least work that still answers its question, so the agent is compared with a floor, not a rival.
//
//   oa-bench-helper ref NAME VALUE PRIORITY      reference listener: proc connector (exec, fork, comm), read
//                                        /proc/PID/comm, write VALUE to oom_score_adj when comm == NAME
//   oa-bench-helper sweep                        getdents /proc, openat each /proc/PID, read comm and oom_score_adj
//   oa-bench-helper idle COUNT SECONDS NAME      fork COUNT children named NAME that pause (each dies by alarm)
//   oa-bench-helper storm SECONDS COUNT PATH     posix_spawn PATH until SECONDS or COUNT, print "execs N ns T"
//   oa-bench-helper probes A B COUNT GAP_US LIFE  spawn A LIFE and B LIFE alternately, COUNT each, GAP_US
//                                        apart; they die with the helper (PR_SET_PDEATHSIG)
//   oa-bench-helper time CMD...                  run CMD (stdout/stderr to /dev/null), print "ns T status S"
//   oa-bench-helper tracedump DIR NCPU SUBBUF EXEC_ID EXEC_PID EXEC_FILE OOM_ID OOM_PID OOM_COMM OOM_ADJ
//                                        parse DIR/per_cpu/cpuN/trace_pipe_raw: one line per event, ns
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
static volatile sig_atomic_t stop;
static void on_stop(int signo) { (void)signo; stop = 1; }

static void catch_stop(void) {
    struct sigaction sa = {.sa_handler = on_stop};  // no SA_RESTART: a blocking call returns EINTR
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what) {
    fprintf(stderr, "oa-bench-helper: %s: %s\n", what, strerror(errno));
    exit(1);
}

// ---- reference listener -------------------------------------------------------------------------

struct proc_input_v2 {  // Linux 6.6 <linux/cn_proc.h> struct proc_input; older headers lack it
    uint32_t mcast_op;
    uint32_t event_type;
};

static int ref_main(const char *name, int value, int priority) {
    struct sched_param sp = {.sched_priority = priority};
    if (priority > 0 && sched_setscheduler(0, SCHED_FIFO, &sp) < 0) die("sched_setscheduler");
    if (priority > 0 && mlockall(MCL_CURRENT | MCL_FUTURE) < 0) die("mlockall");
    int proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
    if (proc < 0 || fd < 0) die("open");
    struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC, .nl_pid = 0};
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) die("bind");
    int rcvbuf = 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);
    // As the agent does: a plain subscription first, whose ack proves it took (the kernel-side mask
    // would drop the ack), then the event mask (6.6+).
    struct {
        struct nlmsghdr nl;
        struct cn_msg cn;
        struct proc_input_v2 in;
    } __attribute__((packed)) req;
    memset(&req, 0, sizeof req);
    req.nl.nlmsg_type = NLMSG_DONE;
    req.nl.nlmsg_pid = getpid();
    req.cn.id.idx = CN_IDX_PROC;
    req.cn.id.val = CN_VAL_PROC;
    req.cn.seq = req.cn.ack = 4242;
    req.in.mcast_op = PROC_CN_MCAST_LISTEN;
    req.in.event_type = PROC_EVENT_EXEC | PROC_EVENT_FORK | PROC_EVENT_COMM;
    req.cn.len = sizeof req.in.mcast_op;
    req.nl.nlmsg_len = sizeof req - sizeof req.in.event_type;
    if (send(fd, &req, req.nl.nlmsg_len, 0) < 0) die("send");
    catch_stop();
    char buf[4096] __attribute__((aligned(8)));
    char path[64], comm[32], text[16];
    size_t name_len = strlen(name);
    int text_len = snprintf(text, sizeof text, "%d", value);
    long events = 0, matched = 0, written = 0, overflows = 0;
    int ready = 0;
    while (!stop) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == ENOBUFS) { overflows++; continue; }
            die("recv");
        }
        struct nlmsghdr *nl = (struct nlmsghdr *)buf;
        if ((size_t)n < NLMSG_HDRLEN + sizeof(struct cn_msg) + 16 || nl->nlmsg_type != NLMSG_DONE) continue;
        struct cn_msg *cn = NLMSG_DATA(nl);
        struct proc_event *ev = (struct proc_event *)cn->data;
        int pid;
        switch (ev->what) {
        case PROC_EVENT_NONE:
            if (!ready && cn->ack == 4243) {
                if (ev->event_data.ack.err != 0) { errno = (int)ev->event_data.ack.err; die("subscribe"); }
                req.cn.seq = req.cn.ack = 4244;
                req.cn.len = sizeof req.in;
                req.nl.nlmsg_len = sizeof req;
                if (send(fd, &req, sizeof req, 0) < 0) die("send");
                ready = 1;
                printf("ready %d\n", getpid());
                fflush(stdout);
            }
            continue;
        case PROC_EVENT_EXEC: pid = ev->event_data.exec.process_tgid; break;
        case PROC_EVENT_FORK:
            if (ev->event_data.fork.child_pid != ev->event_data.fork.child_tgid) continue;
            pid = ev->event_data.fork.child_tgid;
            break;
        case PROC_EVENT_COMM:
            if (ev->event_data.comm.process_pid != ev->event_data.comm.process_tgid) continue;
            pid = ev->event_data.comm.process_tgid;
            break;
        default: continue;
        }
        events++;
        snprintf(path, sizeof path, "%d/comm", pid);
        int cfd = openat(proc, path, O_RDONLY | O_CLOEXEC);
        if (cfd < 0) continue;
        ssize_t len = read(cfd, comm, sizeof comm);
        close(cfd);
        if (len <= 0) continue;
        if (comm[len - 1] == '\n') len--;
        if ((size_t)len != name_len || memcmp(comm, name, name_len) != 0) continue;
        matched++;
        snprintf(path, sizeof path, "%d/oom_score_adj", pid);
        int wfd = openat(proc, path, O_WRONLY | O_CLOEXEC);
        if (wfd < 0) continue;
        if (write(wfd, text, text_len) == text_len) written++;
        close(wfd);
    }
    fprintf(stderr, "reference events=%ld matched=%ld written=%ld overflows=%ld\n", events, matched, written, overflows);
    return 0;
}

// ---- /proc sweep --------------------------------------------------------------------------------

static int sweep_main(void) {
    int proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (proc < 0) die("open /proc");
    static char entries[64 * 1024] __attribute__((aligned(8)));
    char buf[32];
    long processes = 0, readable = 0;
    for (;;) {
        long n = syscall(SYS_getdents64, proc, entries, sizeof entries);
        if (n < 0) die("getdents64");
        if (n == 0) break;
        for (long off = 0; off < n;) {
            struct dirent64 *d = (struct dirent64 *)(entries + off);
            off += d->d_reclen;
            if (d->d_name[0] < '1' || d->d_name[0] > '9') continue;
            int dir = openat(proc, d->d_name, O_PATH | O_DIRECTORY | O_CLOEXEC);
            if (dir < 0) continue;
            processes++;
            int fd = openat(dir, "comm", O_RDONLY | O_CLOEXEC);
            ssize_t a = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
            if (fd >= 0) close(fd);
            fd = openat(dir, "oom_score_adj", O_RDONLY | O_CLOEXEC);
            ssize_t b = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
            if (fd >= 0) close(fd);
            if (a > 0 && b > 0) readable++;
            close(dir);
        }
    }
    fprintf(stderr, "sweep processes=%ld readable=%ld\n", processes, readable);
    return 0;
}

// ---- idle population ----------------------------------------------------------------------------

static int idle_main(long count, unsigned seconds, const char *name) {
    pid_t *children = calloc((size_t)count, sizeof *children);
    if (!children) die("calloc");
    catch_stop();
    alarm(seconds + 5);  // the parent is bounded too
    signal(SIGALRM, on_stop);
    long made = 0;
    for (; made < count && !stop; made++) {
        pid_t pid = fork();
        if (pid < 0) { fprintf(stderr, "oa-bench-helper idle: fork %ld: %s\n", made, strerror(errno)); break; }
        if (pid == 0) {
            signal(SIGTERM, SIG_DFL);
            signal(SIGALRM, SIG_DFL);
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            prctl(PR_SET_NAME, name);
            alarm(seconds);
            for (;;) pause();
        }
        children[made] = pid;
    }
    printf("ready %ld\n", made);
    fflush(stdout);
    while (!stop) pause();
    for (long i = 0; i < made; i++) kill(children[i], SIGKILL);
    for (long i = 0; i < made; i++) waitpid(children[i], NULL, 0);
    return 0;
}

// ---- exec storm ---------------------------------------------------------------------------------

static int storm_main(double seconds, long count, const char *path) {
    catch_stop();
    char *argv[] = {(char *)path, NULL};
    uint64_t start = now_ns(), deadline = start + (uint64_t)(seconds * 1e9);
    long done = 0;
    while (!stop && done < count && now_ns() < deadline) {
        pid_t pid;
        if (posix_spawn(&pid, path, NULL, NULL, argv, environ) != 0) break;
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
        done++;
    }
    printf("execs %ld ns %llu\n", done, (unsigned long long)(now_ns() - start));
    return 0;
}

// ---- probes -------------------------------------------------------------------------------------

static int probes_main(const char *a, const char *b, long count, long gap_us, const char *life) {
    catch_stop();
    long alive = 0;
    for (long i = 0; i < 2 * count && !stop; i++) {
        const char *path = (i % 2 == 0) ? a : b;
        char *argv[] = {(char *)path, (char *)life, NULL};
        pid_t pid = fork();
        if (pid < 0) die("fork probe");
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            execv(path, argv);
            _exit(127);
        }
        alive++;
        while (alive > 0 && waitpid(-1, NULL, WNOHANG) > 0) alive--;
        usleep((useconds_t)gap_us);
    }
    while (alive > 0 && waitpid(-1, NULL, 0) > 0) alive--;
    return 0;
}

// ---- timing one command -------------------------------------------------------------------------

static int time_main(char **argv) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    uint64_t start = now_ns();
    pid_t pid;
    int err = posix_spawn(&pid, argv[0], &actions, NULL, argv, environ);
    if (err != 0) { errno = err; die("posix_spawn"); }
    int status = 0;
    struct rusage usage;
    while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {}
    uint64_t cpu = (uint64_t)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000000ull
        + (uint64_t)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1000ull;
    // CPU time (user + system) besides the wall time: what a loaded machine inflates least.
    printf("ns %llu status %d cpu_ns %llu\n", (unsigned long long)(now_ns() - start), WIFEXITED(status) ? WEXITSTATUS(status) : 128,
        (unsigned long long)cpu);
    return 0;
}

// ---- ring-buffer reader (trace_pipe_raw) --------------------------------------------------------
// The text `trace` file prints CLOCK_MONOTONIC stamps in microseconds; the raw pages carry nanoseconds.
// Layout from events/header_page and events/header_event: u64 page timestamp, u64 commit (low 27 bits
// = data bytes), then events with a 32-bit header: type_len:5, time_delta:27.

struct fields { unsigned exec_id, exec_pid, exec_file, oom_id, oom_pid, oom_comm, oom_adj; };

static void print_event(const unsigned char *d, unsigned len, uint64_t ts, const struct fields *f) {
    if (len < 8) return;
    unsigned short type;
    int common_pid;
    memcpy(&type, d, 2);
    memcpy(&common_pid, d + 4, 4);
    if (type == f->exec_id && len >= f->exec_pid + 4) {
        int pid;
        uint32_t loc;
        memcpy(&pid, d + f->exec_pid, 4);
        memcpy(&loc, d + f->exec_file, 4);
        unsigned off = loc & 0xffff, n = loc >> 16;
        if (off + n > len) n = off < len ? len - off : 0;
        printf("E %llu %d %.*s\n", (unsigned long long)ts, pid, (int)n, (const char *)d + off);
    } else if (type == f->oom_id && len >= f->oom_adj + 2) {
        int pid;
        short adj;
        memcpy(&pid, d + f->oom_pid, 4);
        memcpy(&adj, d + f->oom_adj, 2);
        printf("O %llu %d %.16s %d %d\n", (unsigned long long)ts, pid, (const char *)d + f->oom_comm, adj, common_pid);
    } else {
        printf("U %llu %d %u\n", (unsigned long long)ts, common_pid, type);
    }
}

static void parse_page(const unsigned char *page, size_t got, const struct fields *f) {
    if (got < 16) return;
    uint64_t ts, commit;
    memcpy(&ts, page, 8);
    memcpy(&commit, page + 8, 8);
    size_t size = commit & ((1u << 27) - 1);
    if (size > got - 16) size = got - 16;
    const unsigned char *p = page + 16, *end = page + 16 + size;
    while (p + 4 <= end) {
        uint32_t header;
        memcpy(&header, p, 4);
        unsigned type_len = header & 31, delta = header >> 5;
        uint32_t array0 = 0;
        if (p + 8 <= end) memcpy(&array0, p + 4, 4);
        if (type_len == 29) {             // padding; a zero delta marks the end of the data
            if (delta == 0) return;
            p += 4 + array0;
        } else if (type_len == 30) {      // time extend
            ts += ((uint64_t)array0 << 27) + delta;
            p += 8;
        } else if (type_len == 31) {      // absolute time stamp (59 bits)
            uint64_t abs = ((uint64_t)array0 << 27) | delta;
            ts = (ts & ~((1ull << 59) - 1)) | abs;
            p += 8;
        } else if (type_len == 0) {       // data, length in array[0] (which counts itself)
            ts += delta;
            if (array0 < 4 || p + 4 + array0 > end) return;
            print_event(p + 8, array0 - 4, ts, f);
            p += 4 + array0;
        } else {                          // data, type_len words
            ts += delta;
            print_event(p + 4, type_len * 4, ts, f);
            p += 4 + type_len * 4;
        }
    }
}

static int tracedump_main(const char *dir, int ncpu, size_t subbuf, const struct fields *f) {
    unsigned char *page = malloc(subbuf);
    if (!page) die("malloc");
    for (int cpu = 0; cpu < ncpu; cpu++) {
        char path[512];
        snprintf(path, sizeof path, "%s/per_cpu/cpu%d/trace_pipe_raw", dir, cpu);
        int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) continue;
        for (;;) {
            ssize_t n = read(fd, page, subbuf);
            if (n <= 0) break;
            parse_page(page, (size_t)n, f);
        }
        close(fd);
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 5 && !strcmp(argv[1], "ref")) return ref_main(argv[2], atoi(argv[3]), atoi(argv[4]));
    if (argc >= 2 && !strcmp(argv[1], "sweep")) return sweep_main();
    if (argc >= 5 && !strcmp(argv[1], "idle")) return idle_main(atol(argv[2]), (unsigned)atoi(argv[3]), argv[4]);
    if (argc >= 5 && !strcmp(argv[1], "storm")) return storm_main(atof(argv[2]), atol(argv[3]), argv[4]);
    if (argc >= 7 && !strcmp(argv[1], "probes")) return probes_main(argv[2], argv[3], atol(argv[4]), atol(argv[5]), argv[6]);
    if (argc >= 3 && !strcmp(argv[1], "time")) return time_main(argv + 2);
    if (argc >= 12 && !strcmp(argv[1], "tracedump")) {
        struct fields f = {(unsigned)atoi(argv[5]), (unsigned)atoi(argv[6]), (unsigned)atoi(argv[7]),
                           (unsigned)atoi(argv[8]), (unsigned)atoi(argv[9]), (unsigned)atoi(argv[10]),
                           (unsigned)atoi(argv[11])};
        return tracedump_main(argv[2], atoi(argv[3]), (size_t)atol(argv[4]), &f);
    }
    fprintf(stderr, "usage: oa-bench-helper ref|sweep|idle|storm|probes|time|tracedump ...\n");
    return 64;
}
CEOF
HELPER=$TMP/oa-bench-helper
gcc -O2 -Wall -o "$HELPER" "$HELPER_SOURCE" || fail "cannot compile the helper (needs gcc and linux-libc-dev)"

# ---- limits first: the sweep timing needs SWEEP_PROCS more processes than are running now --------
if ! skipped sweep; then
    pid_max=$(cat /proc/sys/kernel/pid_max)
    nproc_limit=$(ulimit -u)
    [[ $nproc_limit == unlimited ]] && nproc_limit=$pid_max
    # find fails when a process exits while it lists: under pipefail that would end the bench silently.
    tasks=$(find /proc/[0-9]*/task -maxdepth 1 -mindepth 1 2>/dev/null | wc -l || true)
    room=$(((pid_max < nproc_limit ? pid_max : nproc_limit) - tasks - 1000))
    if ((SWEEP_PROCS > room)); then
        log "warning: pid_max $pid_max, ulimit -u $nproc_limit and $tasks running tasks leave room for $room sleepers, not $SWEEP_PROCS"
        SWEEP_PROCS=$((room > 0 ? room : 0))
    fi
fi
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the agent -----------------------------------------------------------------------------------
if [[ -z $AGENT ]]; then
    log "building the release agent (swift build -c release --scratch-path $SCRATCH)"
    swift build -c release --scratch-path "$SCRATCH" --product oom-adjust >"$TMP/build.log" 2>&1 ||
        { tail -20 "$TMP/build.log" >&2; fail "release build failed"; }
    AGENT=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/oom-adjust
fi
[[ -x $AGENT ]] || fail "no agent binary at $AGENT"

# Names unique to this run, each a whole comm (at most 15 bytes).
TAG="oab$$"
NAME_A="$TAG-a" # the agent's probe
NAME_R="$TAG-r" # the reference's probe
NAME_I="$TAG-i" # the sleepers of the sweep timing
VALUE_A=123 VALUE_R=124
cp /bin/sleep "$TMP/$NAME_A"
cp /bin/sleep "$TMP/$NAME_R"
printf '# bench %s: only names unique to this run\n%s score=%d\n' "$TAG" "$NAME_A" "$VALUE_A" >"$TMP/agent.conf"
"$AGENT" check --config "$TMP/agent.conf" >/dev/null || fail "the agent rejects its bench config"

declare -A R # results, for the summary
v() { echo "${R[$1]:--}"; }

# ---- tracefs: a private instance -----------------------------------------------------------------
if [[ ! -d $TRACEFS/instances ]]; then
    mount -t tracefs nodev "$TRACEFS" || fail "cannot mount tracefs at $TRACEFS"
    MOUNTED_TRACEFS=1
fi
INSTANCE=$TRACEFS/instances/oa-bench-$$
mkdir "$INSTANCE"
echo 0 >"$INSTANCE/tracing_on"
echo mono >"$INSTANCE/trace_clock"
echo 4096 >"$INSTANCE/buffer_size_kb"
EXEC_EVENT=$INSTANCE/events/sched/sched_process_exec
OOM_EVENT=$INSTANCE/events/oom/oom_score_adj_update
[[ -d $EXEC_EVENT && -d $OOM_EVENT ]] || fail "tracefs lacks sched:sched_process_exec or oom:oom_score_adj_update"
echo "filename ~ \"*/$TAG-*\"" >"$EXEC_EVENT/filter"
echo "comm ~ \"$TAG-*\"" >"$OOM_EVENT/filter"
echo 1 >"$EXEC_EVENT/enable"
echo 1 >"$OOM_EVENT/enable"

# The byte offset of field NAME in an event's record, from its format file ("field:pid_t pid; offset:12;").
field_offset() { awk -v f="$2;" '{ for (i = 1; i < NF; i++) if ($i == f && $(i + 1) ~ /^offset:/) { o = $(i + 1); gsub(/[^0-9]/, "", o); print o; exit } }' "$1/format"; }
TRACE_ARGS=(
    "$INSTANCE" "$(find "$INSTANCE/per_cpu" -maxdepth 1 -name 'cpu*' | wc -l)" "$(($(cat "$INSTANCE/buffer_subbuf_size_kb" 2>/dev/null || echo 4) * 1024))"
    "$(cat "$EXEC_EVENT/id")" "$(field_offset "$EXEC_EVENT" pid)" "$(field_offset "$EXEC_EVENT" filename)"
    "$(cat "$OOM_EVENT/id")" "$(field_offset "$OOM_EVENT" pid)" "$(field_offset "$OOM_EVENT" 'comm[16]')"
    "$(field_offset "$OOM_EVENT" oom_score_adj)"
)
for arg in "${TRACE_ARGS[@]}"; do [[ -n $arg ]] || fail "cannot read the tracepoint formats"; done
# Empties the ring buffer (reading trace_pipe_raw consumes it) into FILE, one event a line.
drain_trace() { "$HELPER" tracedump "${TRACE_ARGS[@]}" >"$1"; }

# ---- the two listeners ---------------------------------------------------------------------------
start_bg "$TMP/agent.out" "$TMP/agent.log" "$AGENT" run --config "$TMP/agent.conf" --realtime-priority "$PRIORITY"
AGENT_PID=$LAST_PID
start_bg "$TMP/ref.out" "$TMP/ref.log" "$HELPER" ref "$NAME_R" "$VALUE_R" "$PRIORITY"
REF_PID=$LAST_PID
wait_for_line "$TMP/agent.log" "reason=start-up" 30 || { cat "$TMP/agent.log" >&2; fail "the agent did not start"; }
wait_for_line "$TMP/ref.out" "^ready" 30 || { cat "$TMP/ref.log" >&2; fail "the reference did not start"; }
log "agent pid $AGENT_PID and reference pid $REF_PID listening, both SCHED_FIFO $PRIORITY with memory locked"
R[rss_start_agent]=$(status_kb "$AGENT_PID" RssAnon)
R[rss_start_ref]=$(status_kb "$REF_PID" RssAnon)

# Asks an agent (PID, logging to LOG; the bench's own agent by default) for its counters (SIGUSR1) and
# prints its `datagrams` count.
agent_datagrams() {
    local pid=${1:-$AGENT_PID} log=${2:-$TMP/agent.log} before i
    before=$(grep -c ' counters ' "$log" || true)
    kill -USR1 "$pid"
    for ((i = 0; i < 200; i++)); do
        (($(grep -c ' counters ' "$log" || true) > before)) && break
        sleep 0.05
    done
    grep ' counters ' "$log" | tail -1 | sed -n 's/.* datagrams=\([0-9]*\).*/\1/p'
}

# Starts STORM_LOOPS exec loops of /bin/true (or PATH), COUNT execs each at most, never longer than
# STORM_MAX_SECONDS; their pids land in STORM_PIDS.
start_storm() {
    local count=$1 path=${2:-/bin/true} i
    STORM_PIDS=()
    for ((i = 0; i < STORM_LOOPS; i++)); do
        start_bg "$TMP/storm.$i" /dev/null "$HELPER" storm "$STORM_MAX_SECONDS" "$count" "$path"
        STORM_PIDS+=("$LAST_PID")
    done
}
# Stops the loops (or waits for them to finish, given `wait`); sets STORM_RATE (execs per second) and
# STORM_EXECS. Not in a subshell: only this shell can wait for its children.
finish_storm() {
    local pid
    [[ ${1:-} == wait ]] || for pid in "${STORM_PIDS[@]}"; do signal_child TERM "$pid"; done
    for pid in "${STORM_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    read -r STORM_RATE STORM_EXECS < <(cat "$TMP"/storm.* | awk '$1 == "execs" && $4 > 0 { rate += $2 / ($4 / 1e9); n += $2 } END { printf "%.0f %d\n", rate, n }')
    rm -f "$TMP"/storm.*
}

# ---- 1, 2: latency idle and under a storm --------------------------------------------------------
# The two listeners a latency phase compares: for each a label (the key of its figures), its pid, and
# the name of the probes it adjusts.
use_listeners() { WHO1=$1 PID1=$2 PROBE1=$3 WHO2=$4 PID2=$5 PROBE2=$6; }

# Pairs each probe's exec with the first oom_score_adj update of its pid; prints "who probes measured
# early" per listener and leaves the latencies (ns) in $TMP/lat-PHASE-WHO.
analyse_latency() {
    local dump=$1 phase=$2
    : >"$TMP/lat-$phase-$WHO1"
    : >"$TMP/lat-$phase-$WHO2"
    sort -k2,2n "$dump" | awk -v a="$PROBE1" -v r="$PROBE2" -v wa="$WHO1" -v wr="$WHO2" -v out="$TMP/lat-$phase-" '
        $1 == "E" {
            n = split($4, part, "/"); who = part[n] == a ? wa : part[n] == r ? wr : ""
            if (who == "") next
            probes[who]++; owner[$3] = who; start[$3] = $2; done[$3] = 0
            # An update up to 50 ms before this exec, for this pid, landed early: it counts as 0.
            if (($3 in early) && $2 - early[$3] < 50000000) {
                done[$3] = 1; earlies[who]++; measured[who]++; print 0 > (out who)
            }
            delete early[$3]
            next
        }
        $1 == "O" {
            if (($3 in owner) && !done[$3]) {
                done[$3] = 1; measured[owner[$3]]++; print $2 - start[$3] > (out owner[$3])
            } else early[$3] = $2
        }
        END { for (w in probes) print w, probes[w], measured[w] + 0, earlies[w] + 0 }'
}

# KIND is idle or storm; PHASE (KIND by default) names the figures, R[PHASE_p50_WHO] and so on; a
# storm phase also gives R[cpu_WHO] (CPU % during the storm), R[vmrss_WHO] and R[rssanon_WHO].
latency_phase() {
    local kind=$1 phase=${2:-$1} who t0 t1 a0 a1 r0 r1
    log "latency, $phase: $PROBES probes each for $WHO1 and $WHO2, ${GAP_MS} ms apart"
    drain_trace /dev/null
    echo 1 >"$INSTANCE/tracing_on"
    if [[ $kind == storm ]]; then
        start_storm 1000000000
        sleep 1
        t0=$(now_ns) a0=$(cpu_ns "$PID1") r0=$(cpu_ns "$PID2")
    fi
    # In the background and waited for, so that a signal to the bench is handled at once.
    start_bg /dev/null "$TMP/probes.log" timeout $((STORM_MAX_SECONDS - 5)) \
        "$HELPER" probes "$TMP/$PROBE1" "$TMP/$PROBE2" "$PROBES" $((GAP_MS * 1000)) "$PROBE_LIFE"
    wait "$LAST_PID" || log "warning: the probe spawner stopped early (status $?)"
    if [[ $kind == storm ]]; then
        t1=$(now_ns) a1=$(cpu_ns "$PID1") r1=$(cpu_ns "$PID2")
        finish_storm
        R[${phase}_execs_per_s]=$STORM_RATE
        R[${phase}_cpu_ns_$WHO1]=$((a1 - a0)) R[${phase}_cpu_ns_$WHO2]=$((r1 - r0)) R[${phase}_wall_ns]=$((t1 - t0))
        R[cpu_$WHO1]=$(awk -v d=$((a1 - a0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.1f", 100 * d / t }')
        R[cpu_$WHO2]=$(awk -v d=$((r1 - r0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.1f", 100 * d / t }')
        R[vmrss_$WHO1]=$(status_kb "$PID1" VmRSS) R[rssanon_$WHO1]=$(status_kb "$PID1" RssAnon)
        R[vmrss_$WHO2]=$(status_kb "$PID2" VmRSS) R[rssanon_$WHO2]=$(status_kb "$PID2" RssAnon)
    fi
    sleep 0.3
    echo 0 >"$INSTANCE/tracing_on"
    drain_trace "$TMP/trace-$phase"
    while read -r who probes measured early; do
        R[${phase}_probes_$who]=$probes R[${phase}_missed_$who]=$((probes - measured)) R[${phase}_early_$who]=$early
    done < <(analyse_latency "$TMP/trace-$phase" "$phase")
    for who in "$WHO1" "$WHO2"; do
        read -r _ R[${phase}_p50_$who] R[${phase}_p90_$who] R[${phase}_p99_$who] R[${phase}_max_$who] < <(percentiles "$TMP/lat-$phase-$who")
        : "${R[${phase}_probes_$who]:=0}" "${R[${phase}_missed_$who]:=0}" "${R[${phase}_early_$who]:=0}"
    done
}

if ! skipped latency; then
    use_listeners agent "$AGENT_PID" "$NAME_A" ref "$REF_PID" "$NAME_R"
    latency_phase idle
    latency_phase storm
fi

# ---- 3: memory stability over MEM_EVENTS process events ------------------------------------------
if ! skipped memory; then
    log "memory: about $MEM_EVENTS process events (exec loop of /bin/true, fork + exec each)"
    d0=$(agent_datagrams)
    R[mem_before]=$(status_kb "$AGENT_PID" RssAnon)
    start_storm $(((MEM_EVENTS / 2 + STORM_LOOPS - 1) / STORM_LOOPS))
    finish_storm wait
    sleep 0.5
    d1=$(agent_datagrams)
    R[mem_after]=$(status_kb "$AGENT_PID" RssAnon)
    R[mem_delta]=$((R[mem_after] - R[mem_before]))
    R[mem_datagrams]=$((d1 - d0))
    R[mem_execs]=$STORM_EXECS
fi

# ---- 4: allocations on the event path ------------------------------------------------------------
# A uprobe costs a trap in every process that calls the function, so this runs separately and short.
sym_offset() { # LIBRARY SYMBOL: the file offset uprobe_events wants
    local lib=$1 sym=$2 vaddr off seg_off seg_vaddr seg_size
    # No early `exit` in the awk: readelf would die of SIGPIPE, and pipefail would call that a failure.
    vaddr=$(readelf -W --dyn-syms "$lib" | awk -v s="$sym" '$4 == "FUNC" && $7 != "UND" && !found { n = $8; sub(/@.*/, "", n); if (n == s) { print $2; found = 1 } }')
    [[ -n $vaddr ]] || return 1
    vaddr=$((16#$vaddr))
    while read -r seg_off seg_vaddr seg_size; do
        if ((vaddr >= seg_vaddr && vaddr < seg_vaddr + seg_size)); then
            printf '0x%x\n' $((vaddr - seg_vaddr + seg_off))
            return 0
        fi
    done < <(readelf -lW "$lib" | awk '$1 == "LOAD" { print $2, $3, $5 }' | while read -r o v s; do echo $((o)) $((v)) $((s)); done)
    return 1
}

# Counts the allocator calls of agent PID (logging to LOG) during an exec storm of EXECS runs of PATH,
# whose name no rule matches; R[KEY_calls], R[KEY_datagrams], R[KEY_per_event] and R[KEY_control].
count_allocations() {
    local key=$1 pid=$2 log=$3 path=$4 execs=$5 LIBC fn off d0 d1
    LIBC=$(awk '$6 ~ /\/libc\.so/ { print $6; exit }' "/proc/$pid/maps")
    [[ -n $LIBC ]] || fail "cannot find the agent's libc"
    log "allocations: uprobes on $LIBC allocators for pid $pid, $execs execs of $path"
    for fn in malloc calloc realloc aligned_alloc posix_memalign memalign; do
        off=$(sym_offset "$LIBC" "$fn") || continue
        echo "p:$UPROBE_GROUP/$fn $LIBC:$off" >>"$TRACEFS/uprobe_events"
        UPROBES+=("$UPROBE_GROUP/$fn")
        echo "common_pid == $pid" >"$INSTANCE/events/$UPROBE_GROUP/$fn/filter"
    done
    d0=$(agent_datagrams "$pid" "$log")
    drain_trace /dev/null
    echo 1 >"$INSTANCE/events/$UPROBE_GROUP/enable"
    echo 1 >"$INSTANCE/tracing_on"
    start_storm $(((execs + STORM_LOOPS - 1) / STORM_LOOPS)) "$path"
    finish_storm wait
    sleep 0.5
    drain_trace "$TMP/trace-$key"
    # The control: logging the counters allocates, so the probes must see calls now. The same SIGUSR1
    # gives the datagram count, whose own allocations stay out of the event-path count above.
    d1=$(agent_datagrams "$pid" "$log")
    sleep 0.2
    echo 0 >"$INSTANCE/tracing_on"
    echo 0 >"$INSTANCE/events/$UPROBE_GROUP/enable"
    drain_trace "$TMP/trace-$key-control"
    R[${key}_control]=$(awk '$1 == "U"' "$TMP/trace-$key-control" | wc -l)
    R[${key}_calls]=$(awk '$1 == "U"' "$TMP/trace-$key" | wc -l)
    R[${key}_datagrams]=$((d1 - d0))
    ((R[${key}_control] > 0)) || log "warning: the allocator uprobes saw nothing even for SIGUSR1; the allocation count is not trustworthy"
    ((R[${key}_calls] == 0)) || log "allocations on the event path: for stacks, define the uprobe again and run" \
        "perf record -e $UPROBE_GROUP:malloc --call-graph dwarf -p <agent pid> during an exec storm"
    R[${key}_per_event]=$(awk -v c="${R[${key}_calls]}" -v d="${R[${key}_datagrams]}" 'BEGIN { if (d > 0) printf "%.3f", c / d; else print "-" }')
    for probe in "${UPROBES[@]}"; do echo "-:$probe" >>"$TRACEFS/uprobe_events"; done
    UPROBES=()
}

if ! skipped alloc; then
    count_allocations alloc "$AGENT_PID" "$TMP/agent.log" /bin/true "$ALLOC_EXECS"
fi

# The listeners' part is over.
signal_child TERM "$AGENT_PID"
signal_child TERM "$REF_PID"
wait "$AGENT_PID" || log "warning: the agent exited with status $?"
wait "$REF_PID" || true
R[ref_summary]=$(tail -1 "$TMP/ref.log")

# ---- 5: sweep time with many processes -----------------------------------------------------------
if ! skipped sweep; then
    log "sweep: $SWEEP_PROCS sleepers; oom-adjust once vs the C sweep, $SWEEP_RUNS runs each"
    printf '%s score=%d\n%s score=%d\n' "$NAME_I" "$(cat /proc/self/oom_score_adj)" "$NAME_A" "$VALUE_A" >"$TMP/once.conf"
    start_bg "$TMP/idle.out" "$TMP/idle.log" "$HELPER" idle "$SWEEP_PROCS" "$IDLE_MAX_SECONDS" "$NAME_I"
    IDLE_PID=$LAST_PID
    wait_for_line "$TMP/idle.out" "^ready" 300 || fail "the sleepers did not start"
    R[sweep_procs]=$(awk '{ print $2 }' "$TMP/idle.out")
    # One untimed run each: warms the caches and shows what each saw.
    R[once_line]=$("$AGENT" once --config "$TMP/once.conf" 2>&1 | grep 'sweep finished' | sed 's/.*sweep finished //')
    R[csweep_line]=$("$HELPER" sweep 2>&1)
    : >"$TMP/once.ns"
    : >"$TMP/csweep.ns"
    for ((i = 0; i < SWEEP_RUNS; i++)); do
        read -r _ ns _ status _ < <("$HELPER" time "$AGENT" once --config "$TMP/once.conf")
        ((status == 0)) || log "warning: oom-adjust once exited $status"
        echo "$ns" >>"$TMP/once.ns"
        read -r _ ns _ status _ < <("$HELPER" time "$HELPER" sweep)
        echo "$ns" >>"$TMP/csweep.ns"
    done
    R[once_ms]=$(median <"$TMP/once.ns" | awk '{ printf "%.1f", $1 / 1e6 }')
    R[csweep_ms]=$(median <"$TMP/csweep.ns" | awk '{ printf "%.1f", $1 / 1e6 }')
    # rank over the same processes, every sleeper named by a rule (so each is matched and decided).
    R[rank_line]=$("$AGENT" rank --config "$TMP/once.conf" --limit 1 | head -1)
    : >"$TMP/rank.ns"
    : >"$TMP/rank.cpu"
    for ((i = 0; i < SWEEP_RUNS; i++)); do
        read -r _ ns _ status _ cpu < <("$HELPER" time "$AGENT" rank --config "$TMP/once.conf")
        ((status == 0)) || log "warning: oom-adjust rank exited $status"
        echo "$ns" >>"$TMP/rank.ns"
        echo "$cpu" >>"$TMP/rank.cpu"
    done
    R[rank_ms]=$(median <"$TMP/rank.ns" | awk '{ printf "%.1f", $1 / 1e6 }')
    R[rank_cpu_ms]=$(median <"$TMP/rank.cpu" | awk '{ printf "%.1f", $1 / 1e6 }')
    signal_child TERM "$IDLE_PID"
    wait "$IDLE_PID" || true
fi

# ---- 6: the cost of a large rule set -------------------------------------------------------------
# Two agents side by side, seeing the same events: one with a single rule, one with RULES exact rules
# and RULES_GLOBS globs, every one of them a name unique to this run. Each adjusts its own probe, named
# in its last rule, so the big agent's figures include walking its whole index.
NAME_1="$TAG-1" NAME_N="$TAG-n" NAME_Q="${TAG}q" VALUE_1=126 VALUE_N=127

# The large config on stdout: the exact names are TAG, `e` and a base-36 number; of every 50 globs one is
# suffix-only, one has a bracket before its literal prefix, one a range after it, and two in all have no
# anchor (`?` first); the rest are literal prefixes, the common case (`php-fpm*`).
large_config() {
    awk -v tag="$TAG" -v n="$RULES" -v g="$RULES_GLOBS" -v probe="$NAME_N" -v value="$VALUE_N" '
        function b36(x,  s) { s = ""; do { s = substr("0123456789abcdefghijklmnopqrstuvwxyz", x % 36 + 1, 1) s; x = int(x / 36) } while (x > 0); return s }
        BEGIN {
            printf "# bench %s: %d exact rules and %d globs, only names unique to this run\n", tag, n, g
            for (i = 0; i < n; i++) printf "%se%s score=%d\n", tag, b36(i), i % 1000
            for (i = 0; i < g; i++) {
                k = i % 50
                if (k == 0) printf "*%ss%d score=200\n", tag, i
                else if (k == 1) printf "[oO]%sb%d* score=200\n", substr(tag, 2), i
                else if (k == 2) printf "%sr[0-9]%d* score=200\n", tag, i
                else if (k == 3 && i < 100) printf "?%su%d* score=200\n", substr(tag, 2), i
                else printf "%sg%d-* score=200\n", tag, i
            }
            printf "%s score=%d\n", probe, value
        }'
}

# Pools the figures of two halves of a latency phase, A and B, into OUT: the latencies of both, the
# probe counts summed, and for a storm the CPU % over both (and R[cpu_WHO] set from that).
combine_halves() {
    local kind=$1 out=$2 a=$3 b=$4 who key
    for who in "$WHO1" "$WHO2"; do
        cat "$TMP/lat-$a-$who" "$TMP/lat-$b-$who" >"$TMP/lat-$out-$who"
        read -r _ R[${out}_p50_$who] R[${out}_p90_$who] R[${out}_p99_$who] R[${out}_max_$who] < <(percentiles "$TMP/lat-$out-$who")
        for key in probes missed early; do R[${out}_${key}_$who]=$((R[${a}_${key}_$who] + R[${b}_${key}_$who])); done
        if [[ $kind == storm ]]; then
            R[cpu_$who]=$(awk -v a="${R[${a}_cpu_ns_$who]}" -v b="${R[${b}_cpu_ns_$who]}" -v s="${R[${a}_wall_ns]}" -v t="${R[${b}_wall_ns]}" \
                'BEGIN { printf "%.1f", 100 * (a + b) / (s + t) }')
        fi
    done
    [[ $kind == storm ]] && R[${out}_execs_per_s]=$(((R[${a}_execs_per_s] + R[${b}_execs_per_s]) / 2))
    return 0
}

# Starts the one-rule agent or the large one (WHICH: one or many), waits for its start-up sweep, and
# sets ONE_PID or MANY_PID.
start_rules_agent() {
    local which=$1 config=$TMP/one.conf
    [[ $which == many ]] && config=$TMP/large.conf
    start_bg "$TMP/$which.out" "$TMP/$which.log" "$AGENT" run --config "$config" --realtime-priority "$PRIORITY"
    wait_for_line "$TMP/$which.log" "reason=start-up" 60 || { tail -5 "$TMP/$which.log" >&2; fail "the $which-rule agent did not start"; }
    if [[ $which == many ]]; then MANY_PID=$LAST_PID; else ONE_PID=$LAST_PID; fi
}

# Milliseconds from SIGHUP to the agent's "config reloaded", RUNS times; the median on stdout. The
# log's stamps are wall-clock milliseconds.
reload_ms() {
    local pid=$1 log=$2 runs=$3 i j before t0 stamp
    for ((i = 0; i < runs; i++)); do
        before=$(grep -c 'config reloaded' "$log" || true)
        t0=${EPOCHREALTIME/./}
        kill -HUP "$pid"
        for ((j = 0; j < 400; j++)); do
            (($(grep -c 'config reloaded' "$log" || true) > before)) && break
            sleep 0.025
        done
        stamp=$(grep 'config reloaded' "$log" | tail -1 | cut -d' ' -f1)
        [[ -n $stamp ]] || { log "warning: no reload logged"; continue; }
        echo $((($(date -d "$stamp" +%s%6N) - t0)))
        # Let the sweep that follows finish before the next signal.
        sleep 0.3
    done | median | awk '{ printf "%.1f", $1 / 1000 }'
}

if ! skipped rules; then
    cp /bin/sleep "$TMP/$NAME_1"
    cp /bin/sleep "$TMP/$NAME_N"
    cp /bin/true "$TMP/$NAME_Q"
    printf '# bench %s: one rule\n%s score=%d\n' "$TAG" "$NAME_1" "$VALUE_1" >"$TMP/one.conf"
    large_config >"$TMP/large.conf"
    "$AGENT" check --config "$TMP/large.conf" >"$TMP/large-check.out" 2>&1 || { tail -5 "$TMP/large-check.out" >&2; fail "the agent rejects the large config"; }
    R[rules_count]=$(grep -c 'score=' "$TMP/large.conf")
    log "rules: $(v rules_count) rules (check: $(tail -1 "$TMP/large-check.out" | sed 's/.*: //')); check timed $SWEEP_RUNS times each"
    : >"$TMP/check-one.ns"
    : >"$TMP/check-large.ns"
    for ((i = 0; i < SWEEP_RUNS; i++)); do
        read -r _ ns _ status < <("$HELPER" time "$AGENT" check --config "$TMP/one.conf")
        echo "$ns" >>"$TMP/check-one.ns"
        read -r _ ns _ status < <("$HELPER" time "$AGENT" check --config "$TMP/large.conf")
        ((status == 0)) || log "warning: check of the large config exited $status"
        echo "$ns" >>"$TMP/check-large.ns"
    done
    R[check_one_ms]=$(median <"$TMP/check-one.ns" | awk '{ printf "%.1f", $1 / 1e6 }')
    R[check_many_ms]=$(median <"$TMP/check-large.ns" | awk '{ printf "%.1f", $1 / 1e6 }')

    # The kernel hands each event to the listener that subscribed last first, and which of two equal
    # agents is first changes their figures by up to a tenth (--rules 0 --rules-globs 0 runs two agents
    # with one rule each, the control). So each half of the probes runs with the other agent first, both
    # started afresh, and warmed up by a few probes that are not measured.
    all_probes=$PROBES
    PROBES=$(((all_probes + 1) / 2))
    for half in a b; do
        if [[ $half == a ]]; then
            start_rules_agent many
            start_rules_agent one
        else
            for pid in "$ONE_PID" "$MANY_PID"; do
                signal_child TERM "$pid"
                wait "$pid" || log "warning: an agent of the rules phase exited with status $?"
            done
            start_rules_agent one
            start_rules_agent many
        fi
        "$HELPER" probes "$TMP/$NAME_1" "$TMP/$NAME_N" 20 $((GAP_MS * 1000)) 0 >/dev/null 2>&1 || true
        log "rules, half $half: one-rule agent pid $ONE_PID and $(v rules_count)-rule agent pid $MANY_PID listening, the $([[ $half == a ]] && echo one-rule || echo large) one first"
        # The probes alternate, and the one spawned first in each pair swaps too.
        if [[ $half == a ]]; then
            use_listeners one "$ONE_PID" "$NAME_1" many "$MANY_PID" "$NAME_N"
        else
            use_listeners many "$MANY_PID" "$NAME_N" one "$ONE_PID" "$NAME_1"
        fi
        latency_phase idle "rules-idle-$half"
        latency_phase storm "rules-storm-$half"
    done
    PROBES=$all_probes
    combine_halves idle rules-idle rules-idle-a rules-idle-b
    combine_halves storm rules-storm rules-storm-a rules-storm-b
    count_allocations rules-alloc "$MANY_PID" "$TMP/many.log" "$TMP/$NAME_Q" "$ALLOC_EXECS"
    log "rules: SIGHUP to the $(v rules_count)-rule agent, 5 times"
    R[reload_many_ms]=$(reload_ms "$MANY_PID" "$TMP/many.log" 5)
    for pid in "$ONE_PID" "$MANY_PID"; do
        signal_child TERM "$pid"
        wait "$pid" || log "warning: an agent of the rules phase exited with status $?"
    done
fi

# ---- summary -------------------------------------------------------------------------------------
row() { printf '%-34s %12s %12s %8s   %s\n' "$@"; }
verdict() { awk -v x="$1" -v lim="$2" 'BEGIN { if (x == "-") print "n/a"; else print (x + 0 <= lim + 0 ? "met" : "MISSED") }'; }
{
    echo
    echo "oom-adjust bench, $(uname -r), $(nproc) CPUs, agent $AGENT"
    echo "both listeners SCHED_FIFO $PRIORITY, memory locked; probes: $PROBES per listener per phase, ${GAP_MS} ms apart"
    echo "load average at start $LOAD_START, at end $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine shows up in every figure)"
    echo
    row "" agent reference ratio target
    for phase in idle storm; do
        skipped latency && break
        for q in p50 p90 p99 max; do
            target=""
            [[ $phase$q == idlep50 ]] && target="ratio <= 1.3: $(verdict "$(ratio "$(v idle_p50_agent)" "$(v idle_p50_ref)")" 1.3)"
            [[ $phase$q == stormp99 ]] && target="ratio <= 1.5: $(verdict "$(ratio "$(v storm_p99_agent)" "$(v storm_p99_ref)")" 1.5)"
            row "$phase latency $q (us)" "$(v ${phase}_${q}_agent)" "$(v ${phase}_${q}_ref)" \
                "$(ratio "$(v ${phase}_${q}_agent)" "$(v ${phase}_${q}_ref)")" "$target"
        done
        row "$phase probes / missed / early" "$(v ${phase}_probes_agent)/$(v ${phase}_missed_agent)/$(v ${phase}_early_agent)" \
            "$(v ${phase}_probes_ref)/$(v ${phase}_missed_ref)/$(v ${phase}_early_ref)" "" \
            "zero missed: $(verdict "$(v ${phase}_missed_agent)" 0)"
    done
    if ! skipped latency; then
        row "storm execs/s" "$(v storm_execs_per_s)" "" "" ""
        row "CPU % during storm" "$(v cpu_agent)" "$(v cpu_ref)" "$(ratio "$(v cpu_agent)" "$(v cpu_ref)")" \
            "ratio <= 1.5: $(verdict "$(ratio "$(v cpu_agent)" "$(v cpu_ref)")" 1.5)"
        row "VmRSS after storm (KiB)" "$(v vmrss_agent)" "$(v vmrss_ref)" "$(ratio "$(v vmrss_agent)" "$(v vmrss_ref)")" ""
        row "RssAnon after start-up (KiB)" "$(v rss_start_agent)" "$(v rss_start_ref)" "$(ratio "$(v rss_start_agent)" "$(v rss_start_ref)")" ""
        row "RssAnon after storm (KiB)" "$(v rssanon_agent)" "$(v rssanon_ref)" "$(ratio "$(v rssanon_agent)" "$(v rssanon_ref)")" \
            "<= 2048: $(verdict "$(v rssanon_agent)" 2048)"
    fi
    if ! skipped memory; then
        row "RssAnon before/after (KiB)" "$(v mem_before)/$(v mem_after)" "" "" "$(v mem_datagrams) datagrams, $(v mem_execs) execs"
        delta=$(v mem_delta)
        row "RssAnon delta (KiB)" "$delta" "" "" "|delta| <= 256: $(verdict "${delta#-}" 256)"
    fi
    if ! skipped alloc; then
        row "allocator calls per datagram" "$(v alloc_per_event)" "" "" "$(v alloc_calls) calls over $(v alloc_datagrams) unmatched datagrams"
        echo "  (control: the same probes counted $(v alloc_control) allocator calls while the agent logged its counters once)"
    fi
    if ! skipped sweep; then
        row "sweep, $(v sweep_procs) sleepers (ms)" "$(v once_ms)" "$(v csweep_ms)" "$(ratio "$(v once_ms)" "$(v csweep_ms)")" \
            "ratio <= 1.5: $(verdict "$(ratio "$(v once_ms)" "$(v csweep_ms)")" 1.5)"
        row "rank, $(v sweep_procs) sleepers (ms)" "$(v rank_ms)" "" "" "< 1000: $(verdict "$(v rank_ms)" 999.9)"
        row "  its CPU time, user + system (ms)" "$(v rank_cpu_ms)" "" "" ""
        echo "  once:    $(v once_line)"
        echo "  C sweep: $(v csweep_line)"
        echo "  rank:    $(v rank_line)"
    fi
    echo "  reference: $(v ref_summary)"
    if ! skipped rules; then
        echo
        echo "rules: one agent with 1 rule, one with $(v rules_count) ($RULES exact, $RULES_GLOBS globs), side by side"
        row "" "1 rule" "$(v rules_count) rules" ratio target
        for phase in idle storm; do
            for q in p50 p90 p99 max; do
                target=""
                [[ $phase$q == idlep50 ]] && target="ratio <= 1.1: $(verdict "$(ratio "$(v rules-idle_p50_many)" "$(v rules-idle_p50_one)")" 1.1)"
                row "$phase latency $q (us)" "$(v rules-${phase}_${q}_one)" "$(v rules-${phase}_${q}_many)" \
                    "$(ratio "$(v rules-${phase}_${q}_many)" "$(v rules-${phase}_${q}_one)")" "$target"
            done
            row "$phase probes / missed / early" "$(v rules-${phase}_probes_one)/$(v rules-${phase}_missed_one)/$(v rules-${phase}_early_one)" \
                "$(v rules-${phase}_probes_many)/$(v rules-${phase}_missed_many)/$(v rules-${phase}_early_many)" "" \
                "zero missed: $(verdict "$(v rules-${phase}_missed_many)" 0)"
        done
        row "storm execs/s" "$(v rules-storm_execs_per_s)" "" "" ""
        row "CPU % during storm" "$(v cpu_one)" "$(v cpu_many)" "$(ratio "$(v cpu_many)" "$(v cpu_one)")" \
            "ratio <= 1.1: $(verdict "$(ratio "$(v cpu_many)" "$(v cpu_one)")" 1.1)"
        row "RssAnon after storm (KiB)" "$(v rssanon_one)" "$(v rssanon_many)" "$(ratio "$(v rssanon_many)" "$(v rssanon_one)")" ""
        row "allocator calls per datagram" "" "$(v rules-alloc_per_event)" "" \
            "$(v rules-alloc_calls) calls over $(v rules-alloc_datagrams) unmatched datagrams (control $(v rules-alloc_control))"
        row "check (ms, median of $SWEEP_RUNS)" "$(v check_one_ms)" "$(v check_many_ms)" "$(ratio "$(v check_many_ms)" "$(v check_one_ms)")" \
            "< 100: $(verdict "$(v check_many_ms)" 99.9)"
        row "SIGHUP to reloaded (ms, median of 5)" "" "$(v reload_many_ms)" "" "< 100: $(verdict "$(v reload_many_ms)" 99.9)"
    fi
}
