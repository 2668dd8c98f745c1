import CNetlink

/// A process event the agent acts on, reduced from the proc connector's union to what matters.
public struct ProcessEvent: Equatable, Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        /// A process called execve: new program, new comm.
        case exec
        /// A new process (not a thread) was forked; it carries its parent's comm, value and floor
        /// until it execs.
        case fork
        /// A process renamed its main thread (prctl PR_SET_NAME, or a write to /proc/PID/comm).
        case comm
        /// A process's main thread changed its uids (setuid, setresuid...).
        case uid
    }

    public let kind: Kind
    /// The process (thread-group id) the event is about.
    public let pid: Int32
    /// For a fork, the process that forked it (the kernel's real_parent); 0 for other kinds.
    public let parentPID: Int32
    /// When the kernel emitted it, on CLOCK_MONOTONIC.
    public let timestampNanoseconds: UInt64

    public init(kind: Kind, pid: Int32, parentPID: Int32 = 0, timestampNanoseconds: UInt64) {
        self.kind = kind
        self.pid = pid
        self.parentPID = parentPID
        self.timestampNanoseconds = timestampNanoseconds
    }

    /// Keeps the events that can change which rule a process matches or what it holds, and drops the
    /// rest: thread creation, the renames and credential changes of secondary threads (`/proc/PID`
    /// shows the main thread's name and credentials), and exits, which change nothing the agent acts on
    /// and would cost it a wake-up for every process that ends. Returns nil for those.
    public init?(decoded event: CNetlink_event) {
        switch event.what {
        case CNetlink_EVENT_EXEC:
            kind = .exec
        case CNetlink_EVENT_FORK where event.pid == event.tgid:
            kind = .fork
        case CNetlink_EVENT_COMM where event.pid == event.tgid:
            kind = .comm
        case CNetlink_EVENT_UID where event.pid == event.tgid:
            kind = .uid
        default:
            return nil
        }
        pid = event.tgid
        parentPID = kind == .fork ? event.parent_tgid : 0
        timestampNanoseconds = event.timestamp_ns
    }
}
