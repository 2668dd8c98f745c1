// Records real proc-connector datagrams, byte for byte, as fixtures for Tests/CNetlinkTests.
//
// It subscribes to the proc connector, forks a child that renames itself, starts a thread that renames
// itself and ends, starts a second thread that waits while the child drops to uid 1 (daemon) with
// setresuid, which glibc applies to every thread, then execs /bin/true; it keeps only the datagrams
// about that child and writes each one to its own file, exactly as recv(2) returned it. Run it as root
// in the initial PID namespace:
//
//   cc -std=c11 -Wall -Wextra -O2 -o /tmp/record-datagrams scripts/record-datagrams.c -lpthread
//   /tmp/record-datagrams Tests/Fixtures/datagrams
//
// The pids, timestamps and CPUs differ on every run, so after re-recording update the expected values
// in Tests/CNetlinkTests (RecordedDatagramTests, ProcessEventFilterTests, MalformedDatagramTests) from
// the summary this prints.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILD_NAME "oomfix-child"
#define THREAD_NAME "oomfix-thread"
#define SEQ 0x4f4f4d00u

static void die(const char *what) {
    perror(what);
    exit(1);
}

static void send_op(int fd, enum proc_cn_mcast_op op) {
    struct {
        struct nlmsghdr nlh;
        struct cn_msg msg;
        enum proc_cn_mcast_op op;
    } __attribute__((packed)) request;
    memset(&request, 0, sizeof request);
    request.nlh.nlmsg_len = sizeof request;
    request.nlh.nlmsg_type = NLMSG_DONE;
    request.nlh.nlmsg_pid = (uint32_t)getpid();
    request.msg.id.idx = CN_IDX_PROC;
    request.msg.id.val = CN_VAL_PROC;
    request.msg.seq = SEQ;
    request.msg.ack = SEQ;
    request.msg.len = sizeof request.op;
    request.op = op;
    if (send(fd, &request, sizeof request, 0) != (ssize_t)sizeof request) die("send");
}

static void *thread_main(void *unused) {
    (void)unused;
    prctl(PR_SET_NAME, THREAD_NAME);
    return NULL;
}

static void *waiting_thread_main(void *release) {
    char byte;
    return read(*(int *)release, &byte, 1) == 1 ? NULL : NULL;
}

static void child_main(int go) {
    char byte;
    if (read(go, &byte, 1) != 1) _exit(2);  // wait until the parent has seen the fork
    prctl(PR_SET_NAME, CHILD_NAME);
    pthread_t thread;
    if (pthread_create(&thread, NULL, thread_main, NULL) != 0) _exit(3);
    pthread_join(thread, NULL);
    // A thread alive during setresuid gets its own uid event: glibc changes every thread's credentials.
    int release[2];
    if (pipe(release) != 0 || pthread_create(&thread, NULL, waiting_thread_main, &release[0]) != 0) _exit(5);
    if (setresuid(1, 1, 1) != 0) _exit(6);
    if (write(release[1], "r", 1) != 1) _exit(7);
    pthread_join(thread, NULL);
    execl("/bin/true", "true", (char *)NULL);
    _exit(4);
}

static void save(const char *dir, const char *name, const void *bytes, size_t length) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, bytes, length) != (ssize_t)length || close(fd) != 0) die(path);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIRECTORY\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
    if (fd < 0) die("socket");
    struct sockaddr_nl local = {.nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC};
    if (bind(fd, (struct sockaddr *)&local, sizeof local) != 0) die("bind");
    int go[2];
    if (pipe(go) != 0) die("pipe");
    send_op(fd, PROC_CN_MCAST_LISTEN);

    pid_t child = -1;
    int saw_ack = 0, child_exited = 0;
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int ready = poll(&pfd, 1, 2000);
        if (ready < 0) die("poll");
        if (ready == 0) {
            if (child_exited) break;  // quiet for 2 s after the child's exit: all its events are in
            fprintf(stderr, "no datagram for 2 s\n");
            return 1;
        }
        _Alignas(8) unsigned char buf[256];
        struct sockaddr_nl from;
        socklen_t from_len = sizeof from;
        ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &from_len);
        if (n < 0) die("recvfrom");
        if (from.nl_pid != 0) continue;
        const struct cn_msg *msg = NLMSG_DATA((struct nlmsghdr *)buf);
        const struct proc_event *ev = (const void *)msg->data;
        const char *name = NULL;
        int32_t pid = 0, tgid = 0;
        switch (ev->what) {
        case PROC_EVENT_NONE:
            if (saw_ack || msg->ack != SEQ + 1) break;
            saw_ack = 1;
            name = "ack.bin";
            child = fork();
            if (child < 0) die("fork");
            if (child == 0) child_main(go[0]);
            break;
        case PROC_EVENT_FORK:
            pid = ev->event_data.fork.child_pid;
            tgid = ev->event_data.fork.child_tgid;
            if (tgid != child) break;
            name = pid == tgid ? "fork-process.bin" : "fork-thread.bin";
            if (pid == tgid && write(go[1], "g", 1) != 1) die("write");
            break;
        case PROC_EVENT_COMM:
            pid = ev->event_data.comm.process_pid;
            tgid = ev->event_data.comm.process_tgid;
            if (tgid != child) break;
            name = pid == tgid ? "comm-process.bin" : "comm-thread.bin";
            break;
        case PROC_EVENT_EXEC:
            pid = ev->event_data.exec.process_pid;
            tgid = ev->event_data.exec.process_tgid;
            if (tgid != child) break;
            name = "exec.bin";
            break;
        case PROC_EVENT_UID:
            pid = ev->event_data.id.process_pid;
            tgid = ev->event_data.id.process_tgid;
            if (tgid != child) break;
            name = pid == tgid ? "uid-process.bin" : "uid-thread.bin";
            break;
        case PROC_EVENT_EXIT:
            pid = ev->event_data.exit.process_pid;
            tgid = ev->event_data.exit.process_tgid;
            if (tgid != child) break;
            name = pid == tgid ? "exit-process.bin" : "exit-thread.bin";
            if (pid == tgid) {
                child_exited = 1;
                waitpid(child, NULL, 0);
            }
            break;
        default:
            break;
        }
        if (name == NULL) continue;
        save(dir, name, buf, (size_t)n);
        printf("%-17s %3zd bytes  what=0x%08x cpu=%u ts=%llu seq=%u ack=%u pid=%d tgid=%d", name, n,
               (unsigned)ev->what, ev->cpu, (unsigned long long)ev->timestamp_ns, msg->seq, msg->ack, pid,
               tgid);
        if (ev->what == PROC_EVENT_FORK)
            printf(" parent=%d/%d", ev->event_data.fork.parent_pid, ev->event_data.fork.parent_tgid);
        if (ev->what == PROC_EVENT_EXIT)
            printf(" parent=%d/%d code=%u", ev->event_data.exit.parent_pid, ev->event_data.exit.parent_tgid,
                   ev->event_data.exit.exit_code);
        if (ev->what == PROC_EVENT_COMM) printf(" comm=%.16s", ev->event_data.comm.comm);
        if (ev->what == PROC_EVENT_UID) printf(" ruid=%u euid=%u", ev->event_data.id.r.ruid, ev->event_data.id.e.euid);
        if (ev->what == PROC_EVENT_NONE) printf(" err=%u", ev->event_data.ack.err);
        printf("\n");
    }
    send_op(fd, PROC_CN_MCAST_IGNORE);
    printf("recorder pid=%d\n", (int)getpid());
    return 0;
}
