import CNetlink
import Glibc
import SystemPackage

/// Why the proc connector could not be used, each with what the administrator can do about it.
public enum ProcConnectorError: Error, CustomStringConvertible, Equatable {
    case open(Errno)
    case subscribe(Errno)
    case notPermitted
    case noAcknowledgement(milliseconds: Int)

    public var description: String {
        let requirement =
            "the proc connector answers only in the initial user, PID and network namespaces, to root with CAP_NET_ADMIN, on a kernel built with CONFIG_PROC_EVENTS; "
            + "in a container, share the host's PID and network namespaces (podman or docker: --pid=host --network=host; Kubernetes: hostPID: true and hostNetwork: true)"
        switch self {
        case .open(let errno):
            return "cannot open the NETLINK_CONNECTOR socket: \(errno); \(requirement)"
        case .subscribe(.connectionRefused):
            // What the kernel answers a socket in a network namespace of its own: the connector lives
            // in the initial one only.
            return "cannot subscribe to process events: Connection refused (ECONNREFUSED), as in a network namespace of its own; \(requirement)"
        case .subscribe(let errno):
            return "cannot subscribe to process events: \(errno); \(requirement)"
        case .notPermitted:
            return "the kernel refused the process-event subscription (EPERM); \(requirement)"
        case .noAcknowledgement(let milliseconds):
            return "the kernel did not acknowledge the process-event subscription within \(milliseconds) ms, as outside the initial user or PID namespace; \(requirement)"
        }
    }
}

/// What one receive call brought.
public enum ReceiveOutcome: Equatable {
    /// `count` datagrams are in the batch.
    case datagrams(Int)
    /// Nothing is queued.
    case empty
    /// The socket overflowed and the kernel dropped events: some processes may have been missed.
    case overflow
}

/// The kernel's process-event feed: a NETLINK_CONNECTOR socket subscribed to CN_IDX_PROC.
public final class ProcConnector {
    /// Events sent to the socket before the agent reads them; the kernel doubles the request. At about
    /// 1 KiB of buffer accounting per datagram, 8 MiB holds several thousand events.
    public static let defaultReceiveBufferBytes: Int32 = 8 << 20
    /// The kinds the kernel-side filter (Linux 6.6+) lets through.
    public static let eventMask =
        CNetlink_EVENT_EXEC | CNetlink_EVENT_FORK | CNetlink_EVENT_COMM | CNetlink_EVENT_UID

    private let socket: OpaquePointer
    public let fileDescriptor: CInt
    public private(set) var receiveBufferBytes: Int = 0

    public init(receiveBufferBytes: Int32 = defaultReceiveBufferBytes) throws(ProcConnectorError) {
        switch pointerOrErrno({ CNetlink_open() }) {
        case .success(let socket): self.socket = socket
        case .failure(let error): throw .open(error)
        }
        fileDescriptor = CNetlink_fd(socket)
        // A buffer the kernel would not resize is still a buffer: its size is reported as 0, unknown.
        let effective = valueOrErrno { CNetlink_set_receive_buffer(fileDescriptor, receiveBufferBytes) }
        self.receiveBufferBytes = Int((try? effective.get()) ?? 0)
    }

    deinit { _ = nothingOrErrno(retryOnInterrupt: false) { CNetlink_close(socket) } }

    /// Subscribes and waits for the kernel's ack, which proves the subscription took: without the
    /// needed privileges the kernel either acks with EPERM or (outside the initial namespaces) stays
    /// silent. Then narrows the feed, in the kernel where it can (6.6+) and with a socket filter always,
    /// to exec, process forks and main-thread renames.
    public func subscribe(timeoutMilliseconds: Int32 = 2000) throws(ProcConnectorError) {
        let seq = UInt32(truncatingIfNeeded: getpid()) &* 2_654_435_761 &+ UInt32(truncatingIfNeeded: monotonicNanoseconds())
        if case .failure(let error) = nothingOrErrno({ CNetlink_send_mcast_op(socket, CNetlink_MCAST_LISTEN, seq) }) {
            throw .subscribe(error)
        }
        // The shim waits out interruptions itself, against its deadline.
        if case .failure(let error) = nothingOrErrno(retryOnInterrupt: false, { CNetlink_wait_for_ack(socket, seq, timeoutMilliseconds) }) {
            switch error {
            case .timedOut: throw .noAcknowledgement(milliseconds: Int(timeoutMilliseconds))
            case .notPermitted, .permissionDenied: throw .notPermitted
            default: throw .subscribe(error)
            }
        }
        // The ack is itself an event the kernel-side filter would drop, hence plain subscribe first.
        // Kernels before 6.6 ignore this 8-byte form; the socket filter below does the work there.
        _ = nothingOrErrno { CNetlink_send_mcast_filter(socket, CNetlink_MCAST_LISTEN, Self.eventMask, seq &+ 2) }
        if case .failure(let error) = nothingOrErrno({ CNetlink_attach_event_filter(fileDescriptor) }) {
            throw .subscribe(error)
        }
    }

    /// Tells the kernel to stop sending; it stops counting this listener too.
    public func unsubscribe() {
        _ = nothingOrErrno { CNetlink_send_mcast_op(socket, CNetlink_MCAST_IGNORE, 0) }
    }

    /// Drains up to `batch.capacity` queued datagrams without blocking.
    public func receive(into batch: DatagramBatch) throws(Errno) -> ReceiveOutcome {
        // Not retried on EINTR: the loop polls again, and an interruption is as good as an empty queue.
        let received = valueOrErrno(retryOnInterrupt: false) {
            CNetlink_receive_batch(
                fileDescriptor, batch.buffer.baseAddress!, Int(CNetlink_DATAGRAM_MAX), UInt32(batch.capacity),
                batch.datagrams.baseAddress!)
        }
        switch received {
        case .success(let count): return count == 0 ? .empty : .datagrams(Int(count))
        case .failure(.resourceTemporarilyUnavailable), .failure(.interrupted): return .empty
        case .failure(.noBufferSpace): return .overflow
        case .failure(let error): throw error
        }
    }
}

/// Buffers for one batch of datagrams, allocated once and reused for every receive.
public final class DatagramBatch {
    public let capacity: Int
    let buffer: UnsafeMutableRawBufferPointer
    let datagrams: UnsafeMutableBufferPointer<CNetlink_datagram>

    /// `capacity` is at most `CNetlink_BATCH_MAX`, the most one receive takes: a larger batch would
    /// hold slots the shim never fills.
    public init(capacity: Int = Int(CNetlink_BATCH_MAX)) {
        precondition(capacity >= 1 && capacity <= Int(CNetlink_BATCH_MAX), "a datagram batch holds 1 to \(CNetlink_BATCH_MAX) datagrams")
        self.capacity = capacity
        buffer = .allocate(byteCount: capacity * Int(CNetlink_DATAGRAM_MAX), alignment: 8)
        datagrams = .allocate(capacity: capacity)
    }

    deinit {
        buffer.deallocate()
        datagrams.deallocate()
    }

    /// Decodes datagram `index` of the last receive.
    public func content(at index: Int) -> DatagramContent {
        let meta = datagrams[index]
        if meta.truncated != 0 { return .malformed(.badMessage) }
        var event = CNetlink_event()
        let slot = buffer.baseAddress! + index * Int(CNetlink_DATAGRAM_MAX)
        switch nothingOrErrno(retryOnInterrupt: false, { CNetlink_decode(slot, Int(meta.length), meta.sender_port, &event) }) {
        case .success: break
        case .failure(.notPermitted): return .foreign
        case .failure(let error): return .malformed(error)
        }
        return ProcessEvent(decoded: event).map(DatagramContent.event) ?? .ignored
    }
}

/// What one datagram turned out to be.
public enum DatagramContent: Equatable {
    /// An event the agent acts on.
    case event(ProcessEvent)
    /// A well-formed kernel event of a kind the agent does not use (thread creation, exit, an ack...).
    case ignored
    /// Not sent by the kernel: a local process wrote to our socket. Dropped.
    case foreign
    /// Truncated, or its lengths lie: EBADMSG or EPROTO. Dropped.
    case malformed(Errno)
}
