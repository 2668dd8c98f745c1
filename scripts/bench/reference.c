// oa-bench-helper: what scripts/bench.sh compiles for each run (scripts/bench/compile.sh, which
// scripts/test.sh also runs, with -Wall -Wextra -Werror). Minimal on purpose: every mode does the
// least work that still answers its question, so the agent is compared with a floor, not a rival.
// The floor includes the one read the job itself demands of every process a rule names: its PID
// namespace (`ns/pid`), without which a rule would fight kubelet over a container's value (README,
// "Containers: the kubelet/agent split"). It costs about 25 us on a fresh process, a kernel cost no
// listener can skip; what the agent does beyond it (the dirfd, the second comm read that proves the
// PID was not recycled, reading the value before writing it) stays in the ratio.
//
//   oa-bench-helper ref NAME VALUE PRIORITY      reference listener: proc connector (exec, fork, comm), read
//                                        /proc/PID/comm; when comm == NAME, read /proc/PID/ns/pid and
//                                        write VALUE to oom_score_adj
//   oa-bench-helper sweep                        getdents /proc, openat each /proc/PID, read its ns/pid, comm
//                                        and oom_score_adj (every sleeper of the sweep phase is named by a rule)
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

#include "CNetlink.h"

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
        struct CNetlink_proc_input in;  // the shim's copy: older <linux/cn_proc.h> lack proc_input
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
        // The namespace read the kubelet/agent split demands (see the top of this file).
        char link[64];
        snprintf(path, sizeof path, "%d/ns/pid", pid);
        if (readlinkat(proc, path, link, sizeof link) <= 0) continue;
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
            char link[64];
            ssize_t ns = readlinkat(dir, "ns/pid", link, sizeof link);
            int fd = openat(dir, "comm", O_RDONLY | O_CLOEXEC);
            ssize_t a = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
            if (fd >= 0) close(fd);
            fd = openat(dir, "oom_score_adj", O_RDONLY | O_CLOEXEC);
            ssize_t b = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
            if (fd >= 0) close(fd);
            if (ns > 0 && a > 0 && b > 0) readable++;
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
