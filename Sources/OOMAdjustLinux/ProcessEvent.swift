import CNetlink

/// A process event the agent acts on, reduced from the proc connector's union to what matters.
public struct ProcessEvent: Equatable, Sendable {
    public enum Kind: String, Sendable {
        /// A process called execve: new program, new comm.
        case exec
        /// A new process (not a thread) was forked; it carries its parent's comm until it execs.
        case fork
        /// A process renamed its main thread (prctl PR_SET_NAME, or a write to /proc/PID/comm).
        case comm
    }

    public let kind: Kind
    /// The process (thread-group id) the event is about.
    public let pid: Int32
    /// When the kernel emitted it, on CLOCK_MONOTONIC.
    public let timestampNanoseconds: UInt64

    public init(kind: Kind, pid: Int32, timestampNanoseconds: UInt64) {
        self.kind = kind
        self.pid = pid
        self.timestampNanoseconds = timestampNanoseconds
    }

    /// Keeps the events that can change which rule a process matches, and drops the rest: thread
    /// creation, renames of secondary threads (`/proc/PID/comm` shows the main thread's name), exits,
    /// id changes. Returns nil for those.
    public init?(decoded event: CNetlink_event) {
        switch event.what {
        case CNetlink_EVENT_EXEC:
            kind = .exec
        case CNetlink_EVENT_FORK where event.pid == event.tgid:
            kind = .fork
        case CNetlink_EVENT_COMM where event.pid == event.tgid:
            kind = .comm
        default:
            return nil
        }
        pid = event.tgid
        timestampNanoseconds = event.timestamp_ns
    }
}
