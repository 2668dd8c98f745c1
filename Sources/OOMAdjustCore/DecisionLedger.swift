/// What the agent decided for each process a rule matched: which rule, and what it did with the value.
/// When the kernel later reports an OOM kill, this says whether the victim's value was the agent's
/// doing, and by which rule.
///
/// Fed with the agent's own decisions, in the order it makes them: a process no rule names (any more)
/// is forgotten, and so is one whose pid the agent finds belonging to another process. An exited
/// process stays until then, which is what a kill report needs: it comes as the victim dies. Memory is
/// bounded: beyond `capacity` entries the oldest eighth is dropped, so a flood of matched processes
/// cannot grow it without end.
public struct DecisionLedger: Sendable {
    public struct Decision: Equatable, Sendable {
        public enum Outcome: Equatable, Sendable {
            /// The process has the rule's value: written by the agent, or already there.
            case applied
            /// The kernel refused the write (a value below the floor without CAP_SYS_RESOURCE).
            case denied
            /// The rule is protective and the trust policy refused it: the value was left alone.
            case refused(TrustRefusal)
            /// A dry run: the agent would have written the rule's value, and did not.
            case dryRun
        }

        /// The name decided on: a kill of the same PID under another name is another process.
        public let comm: Comm
        public let rule: SourceLocation
        /// The rule's value.
        public let score: OOMScore
        public let outcome: Outcome

        public init(comm: Comm, rule: SourceLocation, score: OOMScore, outcome: Outcome) {
            self.comm = comm
            self.rule = rule
            self.score = score
            self.outcome = outcome
        }
    }

    public let capacity: Int
    private var live: [Int32: (decision: Decision, stamp: UInt64)] = [:]
    private var clock: UInt64 = 0
    private var schedule = CheckSchedule()

    public init(capacity: Int = 32768) {
        precondition(capacity >= 8)
        self.capacity = capacity
    }

    /// Live entries.
    public var count: Int { live.count }

    /// The agent decided `decision` for `pid` (replacing what it had decided before).
    public mutating func record(_ decision: Decision, for pid: Int32) {
        clock += 1
        live[pid] = (decision, clock)
        if live.count > capacity { evictOldest() }
    }

    /// No rule decides `pid` now (it was looked at and nothing matched, or it was gone).
    public mutating func forget(_ pid: Int32) {
        live.removeValue(forKey: pid)
    }

    /// Whether it has doubled since the agent last dropped the entries of processes that are gone.
    public var isDueForCheck: Bool { schedule.isDue(live.count) }

    /// Drops the entries of the pids `exists` says are gone (a zombie still exists: it may be the
    /// victim whose report has not been read yet).
    public mutating func forgetGone(exists: (Int32) -> Bool) {
        for pid in live.keys where !exists(pid) { live.removeValue(forKey: pid) }
        schedule.checked(leaving: live.count)
    }

    /// The decision for the process `pid` called `comm`, alive or exited; nil when the agent decided
    /// nothing for it.
    public func decision(for pid: Int32, comm: Comm) -> Decision? {
        guard let entry = live[pid], entry.decision.comm == comm else { return nil }
        return entry.decision
    }

    private mutating func evictOldest() {
        let stamps = live.values.map(\.stamp).sorted()
        let threshold = stamps[max(0, capacity / 8 - 1)]
        live = live.filter { $0.value.stamp > threshold }
    }
}
