// The classic BPF socket filter that keeps thread churn from ever waking the agent.
#define _GNU_SOURCE
#include "CNetlink.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <sys/socket.h>
#include <linux/connector.h>
#include <linux/cn_proc.h>
#include <linux/filter.h>
#include <linux/netlink.h>

// Offsets into the datagram: nlmsghdr, then cn_msg, then proc_event.
#define EVENT_OFFSET (NLMSG_HDRLEN + sizeof(struct cn_msg))
#define WHAT_OFFSET (EVENT_OFFSET + offsetof(struct proc_event, what))
#define FORK_CHILD_PID (EVENT_OFFSET + offsetof(struct proc_event, event_data.fork.child_pid))
#define FORK_CHILD_TGID (EVENT_OFFSET + offsetof(struct proc_event, event_data.fork.child_tgid))
// comm and id (uid) records both begin with process_pid, process_tgid: one test serves the two.
#define LEADER_PID (EVENT_OFFSET + offsetof(struct proc_event, event_data.comm.process_pid))
#define LEADER_TGID (EVENT_OFFSET + offsetof(struct proc_event, event_data.comm.process_tgid))
_Static_assert(offsetof(struct proc_event, event_data.id.process_pid) == offsetof(struct proc_event, event_data.comm.process_pid) &&
                   offsetof(struct proc_event, event_data.id.process_tgid) == offsetof(struct proc_event, event_data.comm.process_tgid),
               "id and comm records must start alike");

// Subscription acks (PROC_EVENT_NONE) are dropped too: the filter goes on after our own ack arrived,
// and every other listener's subscription is broadcast to this group as well.
int CNetlink_attach_event_filter(int fd) {
    // BPF_ABS word loads convert from network byte order, so constants are compared in that order too;
    // pid/tgid comparisons are byte-order neutral. A load past the end of a short datagram drops it.
    // Jump offsets count from the next instruction.
    struct sock_filter code[] = {
        /* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, WHAT_OFFSET),
        /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htonl(PROC_EVENT_EXEC), 12, 0),
        /* 2 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htonl(PROC_EVENT_FORK), 3, 0),
        /* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htonl(PROC_EVENT_COMM), 6, 0),
        /* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htonl(PROC_EVENT_UID), 5, 0),
        /* 5 */ BPF_STMT(BPF_RET | BPF_K, 0),
        // fork: keep only a new process, whose child pid equals its tgid
        /* 6 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, FORK_CHILD_TGID),
        /* 7 */ BPF_STMT(BPF_MISC | BPF_TAX, 0),
        /* 8 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, FORK_CHILD_PID),
        /* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_X, 0, 4, 5),
        // comm, uid: keep only the main thread's (/proc/PID shows the main thread's name and credentials)
        /* 10 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, LEADER_TGID),
        /* 11 */ BPF_STMT(BPF_MISC | BPF_TAX, 0),
        /* 12 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, LEADER_PID),
        /* 13 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_X, 0, 0, 1),
        /* 14 */ BPF_STMT(BPF_RET | BPF_K, 0xFFFFFFFFu),
        /* 15 */ BPF_STMT(BPF_RET | BPF_K, 0),
    };
    struct sock_fprog program = {.len = sizeof code / sizeof code[0], .filter = code};
    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program);
}
