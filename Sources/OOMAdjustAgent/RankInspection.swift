import OOMAdjustCore
import OOMAdjustLinux
import SystemPackage

/// One process in the OOM killer's order, with what the rules say about it: the data behind `rank`.
public struct RankedProcess: Sendable {
    public let entry: OOMRanking.Entry
    /// The rule that decides the process, if any.
    public let rule: Rule?
    /// How its value stands with that rule (`unmatched` without one).
    public let state: ProcessInspection.State
}

/// Reads every candidate of an OOM domain through /proc and puts them in the kernel's order.
public struct RankInspector {
    public let rules: RuleSet
    public let procRoot: ProcRoot

    public init(rules: RuleSet, procRoot: ProcRoot) {
        self.rules = rules
        self.procRoot = procRoot
    }

    /// `pids` (every process when nil) in the order the OOM killer would choose among them, measured
    /// against `domain`. Kernel threads are left out: they have no memory to free and are never
    /// considered. Processes that exit meanwhile are left out too. The kernel's oom_score is read for
    /// the first `scored` (every one when 0): reading it for ten thousand rows nobody shows costs a
    /// fifth of the time.
    public func rank(pids: [Int32]?, in domain: OOMDomainSize, scored: Int = 0) throws(Errno) -> [RankedProcess] {
        var candidates: [OOMCandidate] = []
        var decisions: [Int32: (rule: Rule?, state: ProcessInspection.State)] = [:]
        func look(at pid: Int32) {
            guard let directory = try? ProcessDirectory(pid: pid, in: procRoot),
                let candidate = try? directory.oomCandidate(readingScore: scored == 0), !candidate.isKernelThread
            else { return }
            let comm = candidate.comm
            candidates.append(candidate)
            guard rules.nameMayMatch(comm) else { return }
            switch directory.withFacts(comm: comm, procRoot: procRoot, { rules.verdict(for: &$0) }) {
            case .noMatch:
                break
            case .refused(let rule, let refusal):
                decisions[pid] = (rules.rules[rule], .refused(refusal))
            case .keep(let rule):
                decisions[pid] = (rules.rules[rule], .kept)
            case .apply(let rule), .applyInstead(let rule, _, _):
                decisions[pid] = (rules.rules[rule], candidate.oomScoreAdj == rules.rules[rule].score ? .unchanged : .differs)
            }
        }
        if let pids {
            for pid in pids { look(at: pid) }
        } else {
            try procRoot.forEachProcess(look)
        }
        var ordered = OOMRanking.order(candidates, in: domain)
        if scored > 0 {
            for index in ordered.indices.prefix(scored) {
                let pid = ordered[index].candidate.pid
                ordered[index].candidate.oomScore = (try? ProcessDirectory(pid: pid, in: procRoot))?.readKernelOOMScore()
            }
        }
        return ordered.map { entry in
            let decided = decisions[entry.candidate.pid]
            return RankedProcess(entry: entry, rule: decided?.rule, state: decided?.state ?? .unmatched)
        }
    }
}
