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
    /// The command line is longer than the agent reads, so it counts as unreadable.
    public let commandLineIsTooLong: Bool
    public let uid: UInt32?
    public let cgroup: String?
    public let parent: String?
    public let current: OOMScore?
    /// In the host's PID namespace (true), a container's (false), or unreadable (nil).
    public let inHostPIDNamespace: Bool?
    /// One entry per rule, in order.
    public let evaluations: [RuleMatch]
    public let verdict: Verdict
    /// The system symlink that vouched for its name, when its executable's own name disagrees.
    public let vouchingSymlink: String?

    public enum State: Equatable, Sendable {
        /// No rule names it.
        case unmatched
        /// It has its rule's value.
        case unchanged
        /// It does not have its rule's value (yet, or the kernel refused the write).
        case differs
        /// A protective rule matched and the trust policy refused it.
        case refused(TrustRefusal)
        /// A protective rule matched a process whose binary was replaced on disk: it keeps its value.
        case kept
        /// It does not have its rule's protective value, and cannot get it: lowering a value below a
        /// process's floor needs CAP_SYS_RESOURCE, which this machine's root lacks.
        case denied

        public var name: String {
            switch self {
            case .unmatched: return "unmatched"
            case .unchanged: return "unchanged"
            case .differs: return "differs"
            case .refused: return "refused"
            case .kept: return "kept"
            case .denied: return "denied"
            }
        }
    }

    /// The rule that decided, if any.
    public var decidingRule: Int? { verdict.decidingRule }

    /// `canLowerScores`: whether this machine lets root lower a value below a process's floor.
    public func state(in rules: RuleSet, canLowerScores: Bool = true) -> State {
        switch verdict {
        case .noMatch: return .unmatched
        case .refused(_, let refusal): return .refused(refusal)
        case .keep: return .kept
        case .apply(let rule), .applyInstead(let rule, _, _):
            let desired = rules.rules[rule].score
            if current == desired { return .unchanged }
            return desired.isProtective && !canLowerScores && current.map({ desired < $0 }) != false ? .denied : .differs
        }
    }

    /// Why a process in state `denied` is, in words.
    public static let deniedReason =
        "lowering oom_score_adj below a process's floor needs CAP_SYS_RESOURCE, which root lacks here (this command does): the kernel refuses the agent's write with EACCES"
}

/// Reads processes and evaluates the rules against them.
public struct Inspector {
    public let rules: RuleSet
    public let procRoot: ProcRoot
    /// Whether this process may lower a value below a process's floor (CAP_SYS_RESOURCE): an agent
    /// started here is refused protective writes the same way when it may not.
    public let canLowerScores: Bool

    public init(rules: RuleSet, procRoot: ProcRoot) {
        self.rules = rules
        self.procRoot = procRoot
        canLowerScores = Capabilities.isEffective(Capabilities.sysResource) ?? true
    }

    /// Every fact and every rule's evaluation for one process. ESRCH/ENOENT when there is no such process.
    public func inspect(pid: Int32) throws(Errno) -> ProcessInspection {
        let directory = try ProcessDirectory(pid: pid, in: procRoot)
        let comm = try directory.readComm()
        return directory.withFacts(comm: comm, procRoot: procRoot) { facts in
            let (evaluations, verdict) = rules.explain(&facts)
            func text(_ bytes: [UInt8]?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }
            let commandLine = text(facts.commandLine())
            var link: String?
            if let applied = verdict.appliedRule, rules.rules[applied].score.isProtective, !rules.rules[applied].namesExecutable,
                !rules.rules[applied].trustsName, let name = facts.executableName(), Comm(name) != comm
            {
                link = text(rules.policy.vouchingSymlink(&facts))
            }
            return ProcessInspection(
                pid: pid, comm: comm, executable: text(facts.executablePath()), commandLine: commandLine,
                commandLineIsTooLong: facts.commandLineIsTooLong, uid: facts.realUID(),
                cgroup: text(facts.cgroupPath()), parent: facts.parentComm()?.description,
                current: try? directory.readOOMScore(), inHostPIDNamespace: facts.inHostPIDNamespace(),
                evaluations: evaluations, verdict: verdict, vouchingSymlink: link)
        }
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
