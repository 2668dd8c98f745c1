import OOMAdjustCore
import OOMAdjustLinux
import SystemPackage

/// What the rules make of one process, without changing anything: the data behind `explain` and `status`.
public struct ProcessInspection: Sendable {
    public let pid: Int32
    public let comm: Comm
    public let executable: String?
    /// The arguments joined by single spaces, as `cmdline=` sees them.
    public let commandLine: String?
    public let uid: UInt32?
    public let cgroup: String?
    public let parent: String?
    public let current: OOMScore?
    /// One entry per rule, in order.
    public let evaluations: [RuleMatch]
    public let verdict: Verdict

    public enum State: Equatable, Sendable {
        /// No rule names it.
        case unmatched
        /// It has its rule's value.
        case ok
        /// It does not have its rule's value (yet, or the kernel refused the write).
        case differs
        /// A protective rule matched and the trust policy refused it.
        case untrusted(TrustRefusal)

        public var name: String {
            switch self {
            case .unmatched: return "unmatched"
            case .ok: return "ok"
            case .differs: return "differs"
            case .untrusted: return "untrusted"
            }
        }
    }

    /// The rule that decided, if any.
    public var decidingRule: Int? {
        switch verdict {
        case .noMatch: return nil
        case .apply(let rule), .untrusted(let rule, _): return rule
        }
    }

    public func state(in rules: RuleSet) -> State {
        switch verdict {
        case .noMatch: return .unmatched
        case .untrusted(_, let refusal): return .untrusted(refusal)
        case .apply(let rule): return current == rules.rules[rule].score ? .ok : .differs
        }
    }
}

/// Reads processes and evaluates the rules against them.
public struct Inspector {
    public let rules: RuleSet
    public let procRoot: ProcRoot

    public init(rules: RuleSet, procRoot: ProcRoot) {
        self.rules = rules
        self.procRoot = procRoot
    }

    /// Every fact and every rule's evaluation for one process. ESRCH/ENOENT when there is no such process.
    public func inspect(pid: Int32) throws(Errno) -> ProcessInspection {
        let directory = try ProcessDirectory(pid: pid, in: procRoot)
        let comm = try directory.readComm()
        var facts = directory.facts(comm: comm, procRoot: procRoot)
        let (evaluations, verdict) = rules.explain(&facts)
        func text(_ bytes: [UInt8]?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }
        return ProcessInspection(
            pid: pid, comm: comm, executable: text(facts.executablePath()), commandLine: text(facts.commandLine()),
            uid: facts.realUID(),
            cgroup: text(facts.cgroupPath()), parent: facts.parentComm()?.description,
            current: try? directory.readOOMScore(), evaluations: evaluations, verdict: verdict)
    }

    /// Every process some rule matches, by PID. Processes that exit meanwhile are left out.
    public func matchedProcesses() throws(Errno) -> [ProcessInspection] {
        var pids: [Int32] = []
        try procRoot.forEachProcess { pids.append($0) }
        return pids.compactMap { pid in
            // A glimpse at the comm first, as the agent's event path does: with thousands of rules, every
            // rule's evaluation for every process on the machine would take seconds.
            guard let glimpse = try? procRoot.openComm(of: pid).readComm(), rules.nameMayMatch(glimpse) else { return nil }
            guard let inspection = try? inspect(pid: pid), inspection.verdict != .noMatch else { return nil }
            return inspection
        }
    }
}
