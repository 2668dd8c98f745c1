// CNetlink: the proc connector, reached through libmnl, in the few shapes Swift cannot express itself.
//
// Every function returns -1 (or NULL) and sets errno on failure. Nothing here logs or decides what an
// event means: that is the Swift side's job. The one loop, CNetlink_wait_for_ack's, is the protocol's,
// not a policy: it reads past EINTR, EAGAIN, ENOBUFS and messages that are not the ack until the ack
// or the caller's deadline. Calls that are not about netlink live in CLinuxSystem.
#ifndef C_NETLINK_H
#define C_NETLINK_H

#include <stddef.h>
#include <stdint.h>

// The kernel's `enum what` values from <linux/cn_proc.h>, as plain macros: the header declares them in
// an anonymous enum nested in a struct, which Swift imports awkwardly, and 0x80000000 overflows `int`.
#define CNetlink_EVENT_NONE 0x00000000u
#define CNetlink_EVENT_FORK 0x00000001u
#define CNetlink_EVENT_EXEC 0x00000002u
#define CNetlink_EVENT_UID 0x00000004u
#define CNetlink_EVENT_GID 0x00000040u
#define CNetlink_EVENT_SID 0x00000080u
#define CNetlink_EVENT_PTRACE 0x00000100u
#define CNetlink_EVENT_COMM 0x00000200u
#define CNetlink_EVENT_NONZERO_EXIT 0x20000000u
#define CNetlink_EVENT_COREDUMP 0x40000000u
#define CNetlink_EVENT_EXIT 0x80000000u

// PROC_CN_MCAST_LISTEN / PROC_CN_MCAST_IGNORE.
#define CNetlink_MCAST_LISTEN 1u
#define CNetlink_MCAST_IGNORE 2u

// `struct proc_input` arrived in Linux 6.6's <linux/cn_proc.h>; Debian's headers may predate it, so the
// shim carries its own copy (scripts/bench/reference.c includes it too). The kernel tells the two
// subscription forms apart by cn_msg.len alone.
struct CNetlink_proc_input {
    uint32_t mcast_op;
    uint32_t event_type;
};
_Static_assert(sizeof(struct CNetlink_proc_input) == 8, "proc_input must be 8 bytes, as in Linux 6.6+");

/// Size of the largest datagram the proc connector sends (nlmsghdr + cn_msg + proc_event), rounded up.
#define CNetlink_DATAGRAM_MAX 128u

/// One proc-connector event, flattened out of the kernel's unions so Swift reads plain fields.
typedef struct {
    uint32_t what;          ///< one CNetlink_EVENT_* value
    uint32_t cpu;
    uint64_t timestamp_ns;  ///< ktime_get_ns() at the event: CLOCK_MONOTONIC
    int32_t pid;            ///< the thread the event is about (the child, for fork)
    int32_t tgid;           ///< its process
    int32_t parent_pid;     ///< fork and exit only
    int32_t parent_tgid;    ///< fork and exit only
    uint32_t ack_err;       ///< NONE (a subscription ack) only: 0 or an errno
    uint32_t ruid;          ///< UID only: the new real uid
    uint32_t euid;          ///< UID only: the new effective uid
    uint32_t seq;           ///< cn_msg.seq
    uint32_t ack;           ///< cn_msg.ack
    char comm[16];          ///< COMM only: the new name, always NUL-terminated
} CNetlink_event;

/// What the batch receiver learnt about one datagram besides its bytes.
typedef struct {
    uint32_t length;       ///< bytes received into the slot
    uint32_t sender_port;  ///< nl_pid of the sender: 0 is the kernel, anything else a user process
    uint32_t truncated;    ///< 1 when the datagram was larger than its slot (MSG_TRUNC)
} CNetlink_datagram;

struct mnl_socket;

/// Opens a NETLINK_CONNECTOR socket (mnl_socket_open2, SOCK_CLOEXEC | SOCK_NONBLOCK) and binds it to
/// the CN_IDX_PROC multicast group.
struct mnl_socket *CNetlink_open(void);

/// mnl_socket_get_fd.
int CNetlink_fd(const struct mnl_socket *socket);

/// mnl_socket_close.
int CNetlink_close(struct mnl_socket *socket);

/// Sets the receive buffer with SO_RCVBUFFORCE (which passes rmem_max but needs CAP_NET_ADMIN), falling
/// back to SO_RCVBUF. Returns the size the kernel reports afterwards (it doubles the request).
int CNetlink_set_receive_buffer(int fd, int bytes);

/// Sends the 4-byte form of the subscription (`enum proc_cn_mcast_op`), which every kernel understands.
/// cn_msg.seq and cn_msg.ack are both `seq`; the kernel's ack answers with cn_msg.ack = seq + 1.
int CNetlink_send_mcast_op(struct mnl_socket *socket, uint32_t op, uint32_t seq);

/// Sends the 8-byte `struct proc_input` form (Linux 6.6+): op plus a mask of CNetlink_EVENT_* kinds the
/// kernel should send this socket. Older kernels ignore a message of this size.
int CNetlink_send_mcast_filter(struct mnl_socket *socket, uint32_t op, uint32_t event_mask, uint32_t seq);

/// Waits up to timeout_ms for the kernel's ack of the subscription sent with `seq`, discarding any other
/// datagram meanwhile. Returns 0 on a zero ack; -1 with errno set to the ack's error, or ETIMEDOUT.
int CNetlink_wait_for_ack(struct mnl_socket *socket, uint32_t seq, int timeout_ms);

/// Attaches a classic BPF socket filter that passes only what the agent uses: exec, forks that create a
/// process (child pid == child tgid), and the comm changes and uid changes of a process's main thread
/// (pid == tgid). Threads, exits, subscription acks (call it after CNetlink_wait_for_ack) and every
/// other kind are dropped in the kernel, before the agent wakes.
int CNetlink_attach_event_filter(int fd);

/// The most datagrams one CNetlink_receive_batch takes: a larger `count` is cut to it.
#define CNetlink_BATCH_MAX 64u

/// Receives up to `count` (at most CNetlink_BATCH_MAX) datagrams with one recvmmsg(MSG_DONTWAIT) into consecutive
/// slots of `slot_size` bytes in `buffer`. Returns how many arrived; -1 with EAGAIN when none is
/// queued, or ENOBUFS when the kernel dropped events because the socket was full.
int CNetlink_receive_batch(int fd, void *buffer, size_t slot_size, unsigned count,
                           CNetlink_datagram *datagrams);

/// Decodes one datagram. Returns 0 and fills `event`, or -1 with errno:
/// EPERM when sender_port is not 0 (not from the kernel), EBADMSG when a length is short or lies,
/// EPROTO when it is a netlink message but not a proc-connector event.
/// Never reads outside buf[0..<length].
int CNetlink_decode(const void *buf, size_t length, uint32_t sender_port, CNetlink_event *event);

#endif
