// Decoding proc-connector datagrams into CNetlink_event, bounded by the datagram's own length.
#define _GNU_SOURCE
#include "CNetlink.h"

#include <errno.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/connector.h>
#include <linux/cn_proc.h>
#include <linux/netlink.h>

// The decoder below reads these layouts by offset; a kernel header that changed them must fail the build.
_Static_assert(sizeof(struct cn_msg) == 20, "cn_msg layout changed");
_Static_assert(offsetof(struct proc_event, timestamp_ns) == 8, "proc_event layout changed");
_Static_assert(offsetof(struct proc_event, event_data) == 16, "proc_event layout changed");

// How many bytes of event_data each kind needs before its fields may be read.
static size_t payload_size(uint32_t what) {
    switch (what) {
    case PROC_EVENT_NONE: return sizeof(((struct proc_event *)0)->event_data.ack);
    case PROC_EVENT_FORK: return sizeof(struct fork_proc_event);
    case PROC_EVENT_EXEC: return sizeof(struct exec_proc_event);
    case PROC_EVENT_COMM: return sizeof(struct comm_proc_event);
    case PROC_EVENT_EXIT: return sizeof(struct exit_proc_event);
    case PROC_EVENT_COREDUMP: return sizeof(struct coredump_proc_event);
    case PROC_EVENT_PTRACE: return sizeof(struct ptrace_proc_event);
    case PROC_EVENT_UID:
    case PROC_EVENT_GID: return sizeof(struct id_proc_event);
    case PROC_EVENT_SID: return sizeof(struct sid_proc_event);
    default: return sizeof(struct exec_proc_event);  // unknown kinds: pid and tgid lead every record
    }
}

int CNetlink_decode(const void *buf, size_t length, uint32_t sender_port, CNetlink_event *event) {
    if (sender_port != 0) {
        errno = EPERM;
        return -1;
    }
    if (buf == NULL || length < NLMSG_HDRLEN) {
        errno = EBADMSG;
        return -1;
    }
    // mnl_nlmsg_ok checks nlmsg_len against both the header size and what was received, but compares
    // it as an int: an nlmsg_len of 2^31 or more turns negative and passes, so compare it unsigned too.
    const struct nlmsghdr *nlh = buf;
    if (length > INT32_MAX || !mnl_nlmsg_ok(nlh, (int)length) || nlh->nlmsg_len > length) {
        errno = EBADMSG;
        return -1;
    }
    if (nlh->nlmsg_type != NLMSG_DONE) {  // cn_netlink_send always uses NLMSG_DONE
        errno = EPROTO;
        return -1;
    }
    size_t payload_len = mnl_nlmsg_get_payload_len(nlh);
    if (payload_len < sizeof(struct cn_msg)) {
        errno = EBADMSG;
        return -1;
    }
    struct cn_msg msg;
    memcpy(&msg, mnl_nlmsg_get_payload(nlh), sizeof msg);
    if (msg.id.idx != CN_IDX_PROC || msg.id.val != CN_VAL_PROC) {
        errno = EPROTO;
        return -1;
    }
    size_t data_len = payload_len - sizeof(struct cn_msg);
    const size_t header = offsetof(struct proc_event, event_data);
    if (msg.len > data_len || msg.len < header) {
        errno = EBADMSG;
        return -1;
    }
    // Copy what the message holds into a zeroed proc_event: the kernel pads nothing we rely on, and a
    // short record for its kind is refused below rather than read past.
    struct proc_event ev;
    memset(&ev, 0, sizeof ev);
    memcpy(&ev, (const char *)mnl_nlmsg_get_payload(nlh) + sizeof(struct cn_msg),
           msg.len < sizeof ev ? msg.len : sizeof ev);
    if (msg.len - header < payload_size(ev.what)) {
        errno = EBADMSG;
        return -1;
    }

    memset(event, 0, sizeof *event);
    event->what = ev.what;
    event->cpu = ev.cpu;
    event->timestamp_ns = ev.timestamp_ns;
    event->seq = msg.seq;
    event->ack = msg.ack;
    switch (ev.what) {
    case PROC_EVENT_NONE:
        event->ack_err = ev.event_data.ack.err;
        break;
    case PROC_EVENT_FORK:
        event->pid = ev.event_data.fork.child_pid;
        event->tgid = ev.event_data.fork.child_tgid;
        event->parent_pid = ev.event_data.fork.parent_pid;
        event->parent_tgid = ev.event_data.fork.parent_tgid;
        break;
    case PROC_EVENT_COMM:
        event->pid = ev.event_data.comm.process_pid;
        event->tgid = ev.event_data.comm.process_tgid;
        memcpy(event->comm, ev.event_data.comm.comm, sizeof event->comm - 1);
        event->comm[sizeof event->comm - 1] = '\0';
        break;
    case PROC_EVENT_UID:
        event->pid = ev.event_data.id.process_pid;
        event->tgid = ev.event_data.id.process_tgid;
        event->ruid = ev.event_data.id.r.ruid;
        event->euid = ev.event_data.id.e.euid;
        break;
    case PROC_EVENT_EXIT:
        event->pid = ev.event_data.exit.process_pid;
        event->tgid = ev.event_data.exit.process_tgid;
        event->parent_pid = ev.event_data.exit.parent_pid;
        event->parent_tgid = ev.event_data.exit.parent_tgid;
        break;
    default:
        // exec and the rest start with process_pid, process_tgid.
        event->pid = ev.event_data.exec.process_pid;
        event->tgid = ev.event_data.exec.process_tgid;
        break;
    }
    return 0;
}
