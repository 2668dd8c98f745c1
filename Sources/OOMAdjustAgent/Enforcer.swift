import OOMAdjustCore
import OOMAdjustLinux
import SystemPackage

/// What made the agent look at a process: one of the process events it subscribes to (their kinds
/// are `ProcessEvent.Kind`'s, named once there), or a sweep of /proc.
public enum Trigger: Equatable, Sendable, CustomStringConvertible {
    case event(ProcessEvent.Kind)
    case sweep

    /// As the log's `event=` spells it: the event's kind, or `sweep`.
    public var description: String {
        switch self {
        case .event(let kind): kind.rawValue
        case .sweep: "sweep"
        }
    }
}

/// The result of looking at one process.
public enum EnforcementOutcome: Equatable {
    /// It exited (or was a zombie) before it could be examined or written: not an error.
    case gone
    /// No rule names it, and it holds nothing the agent granted.
    case unmatched(Comm)
    /// A protective rule matched, but the trust policy refused it: the process was left as it is.
    case refused(rule: Int, comm: Comm, TrustRefusal)
    /// A rule matched and the process already had its value: nothing was written.
    case unchanged(rule: Int, comm: Comm, score: OOMScore)
    /// A rule matched and the value was written (or, in a dry run, would have been). `instead` is the
    /// protective rule refused before it, if any.
    case adjusted(rule: Int, comm: Comm, from: OOMScore, to: OOMScore, instead: Refusal?)
    /// The process held protection the agent granted (to it, or to the process it was forked from) and
    /// its rules no longer grant it: the value `to` was written back, resetting the kernel's floor.
    case restored(comm: Comm, from: OOMScore, to: OOMScore, because: Verdict, taken: ProtectionLedger.Grant?)
    /// A protective rule matched a process whose binary was replaced on disk: left as it is.
    case kept(rule: Int, comm: Comm, score: OOMScore)
    /// The kernel refused the write: EACCES for a value below the floor without CAP_SYS_RESOURCE,
    /// EPERM or EACCES for a file this agent may not write.
    case denied(rule: Int?, comm: Comm, from: OOMScore, to: OOMScore, Errno)
    /// Reading or writing failed for another reason: the call that failed, and its errno.
    case failed(rule: Int?, SystemCallError)

    /// The name the process had when it was looked at, if it was.
    public var comm: Comm? {
        switch self {
        case .gone, .failed: return nil
        case .unmatched(let comm), .refused(_, let comm, _), .unchanged(_, let comm, _), .adjusted(_, let comm, _, _, _),
            .restored(let comm, _, _, _, _), .kept(_, let comm, _), .denied(_, let comm, _, _, _):
            return comm
        }
    }

    /// A protective rule that was refused, and why.
    public struct Refusal: Equatable, Sendable {
        public let rule: Int
        public let reason: TrustRefusal
    }
}

/// Applies the rules to one process: a glimpse at its comm, and where a rule may apply (or the process
/// holds something the agent granted), its /proc directory opened once, read, matched, decided and
/// written.
///
/// Everything after the glimpse goes through descriptors bound to the process, so PID reuse cannot
/// redirect a write, and nothing here allocates unless a rule needs more than the comm.
public struct Enforcer {
    public var rules: RuleSet
    public let procRoot: ProcRoot
    /// Decide and report as usual, but write nothing. The ledger is kept as if every write had been
    /// made, so a dry run shows which descendants would lose protection.
    public let dryRun: Bool

    public init(rules: RuleSet, procRoot: ProcRoot, dryRun: Bool = false) {
        self.rules = rules
        self.procRoot = procRoot
        self.dryRun = dryRun
    }

    /// Decides and writes for `pid`, and records in `ledger` what it granted, took back or refused.
    public func enforce(pid: Int32, trigger: Trigger, ledger: inout ProtectionLedger) -> EnforcementOutcome {
        do {
            return try examine(pid: pid, trigger: trigger, ledger: &ledger)
        } catch {
            if Self.isGone(error.errno) {
                ledger.forget(pid)
                return .gone
            }
            return .failed(rule: error.rule, SystemCallError(error.call, error.errno))
        }
    }

    /// A read or open that failed, the call that failed, and the rule that had matched by then, if any.
    struct Failure: Error {
        let errno: Errno
        let call: StaticString
        let rule: Int?
    }

    private func examine(pid: Int32, trigger: Trigger, ledger: inout ProtectionLedger) throws(Failure) -> EnforcementOutcome {
        // Almost every process is one no rule names and the agent never granted anything: a look at its
        // comm, opened by path, settles that in one open and one read.
        let commFile = try attempt(nil, "openat") { () throws(Errno) in try procRoot.openComm(of: pid) }
        let glimpse = try attempt(nil, "pread") { () throws(Errno) in try commFile.readComm() }
        var entry = ledger[pid]
        guard entry?.grant != nil || rules.nameMayMatch(glimpse) else { return .unmatched(glimpse) }
        // From here on everything goes through one directory descriptor pinned to the process. The comm
        // file is pinned to it too, so reading it again once the directory is open proves that the
        // process still held its PID when the directory was opened: both name the same process, even if
        // the PID was recycled before the glimpse. The name read now is the one decided on.
        let directory = try attempt(nil, "openat") { () throws(Errno) in try ProcessDirectory(pid: pid, in: procRoot) }
        let comm = try attempt(nil, "pread") { () throws(Errno) in try commFile.readComm() }
        return try directory.withFacts(comm: comm, procRoot: procRoot) { (facts) throws(Failure) -> EnforcementOutcome in
            if entry?.startTime != nil, facts.processStat()?.startTime != entry?.startTime {
                // Events were lost and the pid belongs to another process now (which renamed itself, if
                // that is what brought the agent here).
                ledger.forget(pid)
                if trigger == .event(.comm) { ledger.renamed(pid) }
                entry = ledger[pid]
                guard rules.nameMayMatch(comm) else { return .unmatched(comm) }
            }
            let verdict = rules.verdict(for: &facts, sticky: entry?.sticky)
            // One descriptor to read the value and, where the decision says so, write it.
            let decidingRule = verdict.decidingRule
            let scoreFile = try attempt(decidingRule, "openat") { () throws(Errno) in try directory.openOOMScore(writable: !dryRun) }
            let actual = try attempt(decidingRule, "pread") { () throws(Errno) in try scoreFile.readOOMScore() }
            // A dry run wrote nothing before either: judge by the value the agent would have left.
            let current = dryRun ? entry?.grant?.score ?? actual : actual
            let decision = ProtectionDecision(
                verdict: verdict, rules: rules, current: current, entry: entry,
                fallbackBaseline: { inheritedValue(of: &facts) })
            var kept = decision.entry
            if kept != nil && kept?.startTime == nil { kept?.startTime = facts.processStat()?.startTime }

            guard case .write(let value) = decision.action else {
                ledger.record(kept, for: pid)
                switch verdict {
                case .apply(let index), .applyInstead(let index, _, _): return .unchanged(rule: index, comm: comm, score: current)
                case .refused(let index, let reason): return .refused(rule: index, comm: comm, reason)
                case .keep(let index): return .kept(rule: index, comm: comm, score: current)
                case .noMatch: return .unmatched(comm)
                }
            }
            if !dryRun {
                do throws(Errno) {
                    try scoreFile.writeOOMScore(value)
                } catch {
                    if Self.isGone(error) { throw Failure(errno: error, call: "write", rule: decidingRule) }
                    // Nothing changed: the process holds what it held, and is refused what it was refused.
                    ledger.record(ProtectionLedger.Entry(grant: entry?.grant, sticky: kept?.sticky, startTime: kept?.startTime), for: pid)
                    if error == .permissionDenied || error == .notPermitted {
                        return .denied(rule: verdict.appliedRule, comm: comm, from: current, to: value, error)
                    }
                    throw Failure(errno: error, call: "write", rule: decidingRule)
                }
            }
            ledger.record(kept, for: pid)
            if decision.takesBackProtection || verdict.appliedRule == nil {
                return .restored(comm: comm, from: current, to: value, because: verdict, taken: entry?.grant)
            }
            let instead = verdict.refusal.map { EnforcementOutcome.Refusal(rule: $0.rule, reason: $0.reason) }
            return .adjusted(rule: verdict.appliedRule!, comm: comm, from: current, to: value, instead: instead)
        }
    }

    /// Whether the process the ledger knows as `pid` (started at `startTime`, when known) is finished:
    /// gone, a zombie with no thread left, or its pid taken by another process.
    public func isFinished(pid: Int32, startTime: UInt64?) -> Bool {
        guard let directory = try? ProcessDirectory(pid: pid, in: procRoot) else { return true }
        guard let stat = directory.withFacts(comm: Comm(""), procRoot: procRoot, { $0.processStat() }) else { return true }
        return stat.isFinished || (startTime != nil && stat.startTime != startTime)
    }

    /// The parent of `pid`, when `pid` holds a protective value and its parent holds protection from the
    /// agent: after lost events, the sign of a fork the agent never saw. (A dry run wrote no value for
    /// the child to hold, so there the parent alone counts.)
    public func protectedParent(of pid: Int32, in ledger: ProtectionLedger) -> Int32? {
        guard let directory = try? ProcessDirectory(pid: pid, in: procRoot) else { return nil }
        guard let parent = directory.withFacts(comm: Comm(""), procRoot: procRoot, { $0.processStat()?.parentPID }),
            ledger[parent]?.grant != nil
        else { return nil }
        if dryRun { return parent }
        guard let score = try? directory.readOOMScore(), score.isProtective else { return nil }
        return parent
    }

    /// For a process found already holding its rule's protective value: what it would have inherited,
    /// its parent's value, unless that is protective too (then 0, the kernel's default).
    private func inheritedValue(of facts: inout LiveProcessFacts) -> OOMScore {
        guard let parent = facts.processStat()?.parentPID, parent > 0,
            let directory = try? ProcessDirectory(pid: parent, in: procRoot),
            let score = try? directory.readOOMScore(), !score.isProtective
        else { return OOMScore(0)! }
        return score
    }

    /// Runs one step, naming the system call it makes (as the Linux layer's doc comment for it says)
    /// should it fail: the log then tells which step it was.
    private func attempt<T: ~Copyable>(_ rule: Int?, _ call: StaticString, _ body: () throws(Errno) -> T) throws(Failure) -> T {
        do {
            return try body()
        } catch {
            throw Failure(errno: error, call: call, rule: rule)
        }
    }

    /// ESRCH and ENOENT: the process exited between the event and now.
    static func isGone(_ error: Errno) -> Bool {
        error == .noSuchProcess || error == .noSuchFileOrDirectory
    }
}
