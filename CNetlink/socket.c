// The proc-connector socket: open, size, subscribe, confirm, receive in batches.
#define _GNU_SOURCE
#include "CNetlink.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/connector.h>
#include <linux/cn_proc.h>
#include <linux/netlink.h>


struct mnl_socket *CNetlink_open(void) {
    struct mnl_socket *nl = mnl_socket_open2(NETLINK_CONNECTOR, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (nl == NULL) return NULL;
    if (mnl_socket_bind(nl, CN_IDX_PROC, MNL_SOCKET_AUTOPID) < 0) {
        int saved = errno;
        mnl_socket_close(nl);
        errno = saved;
        return NULL;
    }
    return nl;
}

int CNetlink_fd(const struct mnl_socket *socket) { return mnl_socket_get_fd(socket); }

int CNetlink_close(struct mnl_socket *socket) { return mnl_socket_close(socket); }

int CNetlink_set_receive_buffer(int fd, int bytes) {
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) < 0 &&
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes) < 0) {
        return -1;
    }
    int effective = 0;
    socklen_t len = sizeof effective;
    if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &effective, &len) < 0) return -1;
    return effective;
}

// Builds nlmsghdr + cn_msg + payload in one buffer and sends it to the kernel (port 0).
static int send_control(struct mnl_socket *socket, const void *payload, uint16_t payload_len, uint32_t seq) {
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = NLMSG_DONE;
    nlh->nlmsg_flags = 0;
    nlh->nlmsg_seq = seq;
    nlh->nlmsg_pid = mnl_socket_get_portid(socket);
    struct cn_msg *msg = mnl_nlmsg_put_extra_header(nlh, sizeof(struct cn_msg) + payload_len);
    msg->id.idx = CN_IDX_PROC;
    msg->id.val = CN_VAL_PROC;
    msg->seq = seq;
    msg->ack = seq;
    msg->len = payload_len;
    msg->flags = 0;
    memcpy(msg->data, payload, payload_len);
    return mnl_socket_sendto(socket, nlh, nlh->nlmsg_len) < 0 ? -1 : 0;
}

int CNetlink_send_mcast_op(struct mnl_socket *socket, uint32_t op, uint32_t seq) {
    return send_control(socket, &op, sizeof op, seq);
}

int CNetlink_send_mcast_filter(struct mnl_socket *socket, uint32_t op, uint32_t event_mask, uint32_t seq) {
    struct CNetlink_proc_input input = {.mcast_op = op, .event_type = event_mask};
    return send_control(socket, &input, sizeof input, seq);
}

static int64_t monotonic_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int CNetlink_wait_for_ack(struct mnl_socket *socket, uint32_t seq, int timeout_ms) {
    const int fd = mnl_socket_get_fd(socket);
    const int64_t deadline = monotonic_ms() + timeout_ms;
    for (;;) {
        int64_t remaining = deadline - monotonic_ms();
        if (remaining <= 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int ready = poll(&pfd, 1, (int)remaining);
        if (ready < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (ready == 0) continue;
        char buf[CNetlink_DATAGRAM_MAX * 2];
        struct sockaddr_nl from;
        socklen_t from_len = sizeof from;
        ssize_t n = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &from_len);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR || errno == ENOBUFS) continue;
            return -1;
        }
        CNetlink_event event;
        if (CNetlink_decode(buf, (size_t)n, from.nl_pid, &event) < 0) continue;
        // Other listeners' acks reach this group too: ours answers our cn_msg.ack with ack + 1. (Its seq
        // is the kernel's own per-CPU counter, not ours, so it cannot be matched on.)
        if (event.what != CNetlink_EVENT_NONE || event.ack != seq + 1) continue;
        if (event.ack_err != 0) {
            errno = (int)event.ack_err;
            return -1;
        }
        return 0;
    }
}

int CNetlink_receive_batch(int fd, void *buffer, size_t slot_size, unsigned count,
                           CNetlink_datagram *datagrams) {
    if (count > CNetlink_BATCH_MAX) count = CNetlink_BATCH_MAX;
    struct mmsghdr messages[CNetlink_BATCH_MAX];
    struct iovec vectors[CNetlink_BATCH_MAX];
    struct sockaddr_nl senders[CNetlink_BATCH_MAX];
    memset(messages, 0, sizeof(struct mmsghdr) * count);
    for (unsigned i = 0; i < count; i++) {
        vectors[i].iov_base = (char *)buffer + i * slot_size;
        vectors[i].iov_len = slot_size;
        messages[i].msg_hdr.msg_iov = &vectors[i];
        messages[i].msg_hdr.msg_iovlen = 1;
        messages[i].msg_hdr.msg_name = &senders[i];
        messages[i].msg_hdr.msg_namelen = sizeof senders[i];
    }
    int received = recvmmsg(fd, messages, count, MSG_DONTWAIT, NULL);
    if (received < 0) return -1;
    for (int i = 0; i < received; i++) {
        datagrams[i].length = messages[i].msg_len;
        // A missing address cannot be trusted to be the kernel's.
        datagrams[i].sender_port = messages[i].msg_hdr.msg_namelen >= sizeof(struct sockaddr_nl)
                                       ? senders[i].nl_pid
                                       : UINT32_MAX;
        datagrams[i].truncated = (messages[i].msg_hdr.msg_flags & MSG_TRUNC) ? 1 : 0;
    }
    return received;
}
