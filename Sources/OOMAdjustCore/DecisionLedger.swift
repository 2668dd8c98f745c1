/// What the agent decided for each process a rule matched: which rule, and what it did with the value.
/// When the kernel later reports an OOM kill, this says whether the victim's value was the agent's
/// doing, and by which rule.
///
/// Fed with the agent's own decisions, in the order it makes them: a process no rule names (any more)
/// is forgotten, and an exited one is kept a little longer, among the last `recentExits`, because the
/// kill report and the exit may arrive in either order. Memory is bounded: beyond `capacity` live
/// entries the oldest eighth is dropped, so a flood of matched processes cannot grow it without end.
public struct DecisionLedger: Sendable {
    public struct Decision: Equatable, Sendable {
        public enum Outcome: Equatable, Sendable {
            /// The process has the rule's value: written by the agent, or already there.
            case applied
            /// The kernel refused the write (a value below the floor without CAP_SYS_RESOURCE).
            case refusedByKernel
            /// The rule is protective and the trust policy refused it: the value was left alone.
            case refusedByTrustPolicy(TrustRefusal)
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
    public let recentExits: Int
    private var live: [Int32: (decision: Decision, stamp: UInt64)] = [:]
    /// The most recent exits, oldest first.
    private var exited: [(pid: Int32, decision: Decision)] = []
    private var clock: UInt64 = 0

    public init(capacity: Int = 32768, recentExits: Int = 256) {
        precondition(capacity >= 8 && recentExits >= 1)
        self.capacity = capacity
        self.recentExits = recentExits
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

    /// `pid` exited: kept among the recent exits until later ones push it out.
    public mutating func exited(_ pid: Int32) {
        guard let entry = live.removeValue(forKey: pid) else { return }
        exited.append((pid, entry.decision))
        if exited.count > recentExits { exited.removeFirst(exited.count - recentExits) }
    }

    /// The decision for the process `pid` called `comm`, alive or recently exited; nil when the agent
    /// decided nothing for it.
    public func decision(for pid: Int32, comm: Comm) -> Decision? {
        if let entry = live[pid], entry.decision.comm == comm { return entry.decision }
        return exited.last { $0.pid == pid && $0.decision.comm == comm }?.decision
    }

    private mutating func evictOldest() {
        let stamps = live.values.map(\.stamp).sorted()
        let threshold = stamps[max(0, capacity / 8 - 1)]
        live = live.filter { $0.value.stamp > threshold }
    }
}
