import OOMAdjustCore
import OOMAdjustLinux
import SystemPackage

/// What made the agent look at a process.
public enum Trigger: String, Sendable {
    case exec, fork, comm, uid, exit, sweep

    public init(_ kind: ProcessEvent.Kind) {
        switch kind {
        case .exec: self = .exec
        case .fork: self = .fork
        case .comm: self = .comm
        case .uid: self = .uid
        case .exit: self = .exit
        }
    }
}

/// The result of looking at one process.
public enum EnforcementOutcome: Equatable {
    /// It exited (or was a zombie) before it could be examined or written: not an error.
    case gone
    /// No rule names it.
    case unmatched(Comm)
    /// A protective rule matched, but the trust policy refused it: the process was left as it is.
    case untrusted(rule: Int, comm: Comm, TrustRefusal)
    /// A rule matched and the process already had its value: nothing was written.
    case unchanged(rule: Int, comm: Comm, score: OOMScore)
    /// A rule matched and the value was written (or, in a dry run, would have been).
    case adjusted(rule: Int, comm: Comm, from: OOMScore, to: OOMScore)
    /// The kernel refused the write: EACCES for a value below the floor without CAP_SYS_RESOURCE,
    /// EPERM or EACCES for a file this agent may not write.
    case denied(rule: Int, comm: Comm, from: OOMScore, to: OOMScore, Errno)
    /// Reading or writing failed for another reason.
    case failed(rule: Int?, Errno)
}

/// Applies the rules to one process: a glimpse at its comm, and where a rule may apply, its /proc
/// directory opened once, read, matched, decided and written.
///
/// Everything after the glimpse goes through descriptors bound to the process, so PID reuse cannot
/// redirect a write, and nothing here allocates unless a rule needs more than the comm.
public struct Enforcer {
    public var rules: RuleSet
    public let procRoot: ProcRoot
    /// Decide and report as usual, but write nothing.
    public let dryRun: Bool

    public init(rules: RuleSet, procRoot: ProcRoot, dryRun: Bool = false) {
        self.rules = rules
        self.procRoot = procRoot
        self.dryRun = dryRun
    }

    /// `occasion` is `.commChange` for a rename, which may never grant protection.
    public func enforce(pid: Int32, occasion: RuleSet.Occasion = .execForkOrSweep) -> EnforcementOutcome {
        do {
            return try examine(pid: pid, occasion: occasion)
        } catch {
            return Self.isGone(error.errno) ? .gone : .failed(rule: error.rule, error.errno)
        }
    }

    /// A read or open that failed, and the rule that had matched by then, if any.
    struct Failure: Error {
        let errno: Errno
        let rule: Int?
    }

    private func examine(pid: Int32, occasion: RuleSet.Occasion) throws(Failure) -> EnforcementOutcome {
        // Almost every process is one no rule names: a look at its comm, opened by path, settles that
        // in one open and one read.
        let commFile = try attempt(nil) { () throws(Errno) in try procRoot.openComm(of: pid) }
        let glimpse = try attempt(nil) { () throws(Errno) in try commFile.readComm() }
        guard rules.nameMayMatch(glimpse) else { return .unmatched(glimpse) }
        // A rule may apply. From here on everything goes through one directory descriptor pinned to the
        // process. The comm file is pinned to it too, so reading it again once the directory is open
        // proves that the process still held its PID when the directory was opened: both name the same
        // process, even if the PID was recycled before the glimpse. The name read now is the one decided on.
        let directory = try attempt(nil) { () throws(Errno) in try ProcessDirectory(pid: pid, in: procRoot) }
        let comm = try attempt(nil) { () throws(Errno) in try commFile.readComm() }
        var facts = directory.facts(comm: comm, procRoot: procRoot)
        let index: Int
        switch rules.verdict(for: &facts, occasion: occasion) {
        case .noMatch: return .unmatched(comm)
        case .untrusted(let rule, let refusal): return .untrusted(rule: rule, comm: comm, refusal)
        case .apply(let rule): index = rule
        }
        // One descriptor to read the value and, where it differs, write it.
        let scoreFile = try attempt(index) { () throws(Errno) in try directory.openOOMScore(writable: !dryRun) }
        let current = try attempt(index) { () throws(Errno) in try scoreFile.readOOMScore() }
        switch AdjustmentPlan(current: current, desired: rules.rules[index].score) {
        case .unchanged(let score):
            return .unchanged(rule: index, comm: comm, score: score)
        case .write(let from, let to):
            if dryRun { return .adjusted(rule: index, comm: comm, from: from, to: to) }
            do {
                try scoreFile.writeOOMScore(to)
                return .adjusted(rule: index, comm: comm, from: from, to: to)
            } catch {
                if error == .permissionDenied || error == .notPermitted {
                    return .denied(rule: index, comm: comm, from: from, to: to, error)
                }
                throw Failure(errno: error, rule: index)
            }
        }
    }

    private func attempt<T: ~Copyable>(_ rule: Int?, _ body: () throws(Errno) -> T) throws(Failure) -> T {
        do {
            return try body()
        } catch {
            throw Failure(errno: error, rule: rule)
        }
    }

    /// ESRCH and ENOENT: the process exited between the event and now.
    static func isGone(_ error: Errno) -> Bool {
        error == .noSuchProcess || error == .noSuchFileOrDirectory
    }
}
