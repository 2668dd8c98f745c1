import OOMAdjustCore
import OOMAdjustLinux
import SystemPackage

/// What made the agent look at a process.
public enum Trigger: String, Sendable {
    case exec, fork, comm, sweep

    public init(_ kind: ProcessEvent.Kind) {
        switch kind {
        case .exec: self = .exec
        case .fork: self = .fork
        case .comm: self = .comm
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
/// Everything after the glimpse goes through the one directory descriptor, so PID reuse cannot redirect
/// a write, and nothing here allocates unless a rule needs more than the comm.
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
        // Almost every process is one no rule names: a look at its comm by path settles that in one
        // open and one read.
        do {
            let glimpse = try procRoot.readComm(of: pid)
            guard rules.nameMayMatch(glimpse) else { return .unmatched(glimpse) }
        } catch {
            return Self.isGone(error) ? .gone : .failed(rule: nil, error)
        }
        // A rule may apply. From here on everything goes through one directory descriptor pinned to
        // the process, the comm read again included, so what is decided and written concerns that one
        // process even if the PID was reused since the glimpse.
        let directory: ProcessDirectory
        do {
            directory = try ProcessDirectory(pid: pid, in: procRoot)
        } catch {
            return Self.isGone(error) ? .gone : .failed(rule: nil, error)
        }
        let comm: Comm
        do {
            comm = try directory.readComm()
        } catch {
            return Self.isGone(error) ? .gone : .failed(rule: nil, error)
        }
        var facts = directory.facts(comm: comm, procRoot: procRoot)
        let index: Int
        switch rules.verdict(for: &facts, occasion: occasion) {
        case .noMatch: return .unmatched(comm)
        case .untrusted(let rule, let refusal): return .untrusted(rule: rule, comm: comm, refusal)
        case .apply(let rule): index = rule
        }
        let desired = rules.rules[index].score
        let current: OOMScore
        do {
            current = try directory.readOOMScore()
        } catch {
            return Self.isGone(error) ? .gone : .failed(rule: index, error)
        }
        switch AdjustmentPlan(current: current, desired: desired) {
        case .unchanged(let score):
            return .unchanged(rule: index, comm: comm, score: score)
        case .write(let from, let to):
            if dryRun { return .adjusted(rule: index, comm: comm, from: from, to: to) }
            do {
                try directory.writeOOMScore(to)
                return .adjusted(rule: index, comm: comm, from: from, to: to)
            } catch {
                if Self.isGone(error) { return .gone }
                if error == .permissionDenied || error == .notPermitted {
                    return .denied(rule: index, comm: comm, from: from, to: to, error)
                }
                return .failed(rule: index, error)
            }
        }
    }

    /// ESRCH and ENOENT: the process exited between the event and now.
    static func isGone(_ error: Errno) -> Bool {
        error == .noSuchProcess || error == .noSuchFileOrDirectory
    }
}
