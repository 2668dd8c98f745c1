import Logging
import OOMAdjustCore
import OOMAdjustLinux
import SystemPackage

/// The last OOM kill, for the status line and the metrics.
public struct OOMKillNote: Sendable, Equatable {
    public let pid: Int32
    public let comm: String
    public let victim: OOMKillAssessment.Victim
    /// The rule that set the victim's value (`PATH:LINE`), or nil.
    public let rule: String?
    public let unixNanoseconds: UInt64
}

/// The agent's watch on the kernel log: every OOM kill the kernel reports is logged with what the rules
/// made of the victim, and counted.
///
/// It remembers, per process, what the agent decided (a `DecisionLedger` fed from every decision), so a
/// kill can name the rule that set the victim's value. The kernel log is one more descriptor of the
/// event loop, read without blocking and a bounded number of records per wake-up.
public final class KillWatch {
    private let log: KernelLog
    private let logger: Logger
    private var assembler = OOMReportAssembler()
    private(set) var ledger: DecisionLedger
    /// Records read per wake-up at most, so a chatty kernel cannot keep process events waiting; poll
    /// reports the rest at once.
    private let recordsPerWakeup = 64
    /// Set when a read failed other than the kernel log's own ways (EAGAIN, EPIPE): then it is read no
    /// more, since poll would report the descriptor ready for ever and spin the loop.
    private var stopped = false

    /// Whether the decisions it keeps are due for dropping those of processes that are gone.
    var isDueForCheck: Bool { ledger.isDueForCheck }

    /// Drops the decisions for pids no process has any more.
    func forgetGone(exists: (Int32) -> Bool) { ledger.forgetGone(exists: exists) }

    public init(log: KernelLog, logger: Logger, ledger: DecisionLedger = DecisionLedger()) {
        self.log = log
        self.logger = logger
        self.ledger = ledger
    }

    /// What the event loop polls: the kernel log's descriptor, or -1 (which poll skips) once stopped.
    public var pollDescriptor: CInt { stopped ? -1 : log.fileDescriptor }

    /// Opens the kernel log at its end, so that no kill from before start-up is reported as new. Where
    /// it cannot be read, says so once and returns nil: the agent enforces the rules all the same.
    public static func open(path: String = KernelLog.defaultPath, logger: Logger) -> KillWatch? {
        do {
            let watch = KillWatch(log: try KernelLog(path: path, fromEnd: true), logger: logger)
            logger.info("watching the kernel log for OOM kills", metadata: ["path": "\(path)"])
            return watch
        } catch {
            var metadata: Logger.Metadata = ["path": "\(path)", "errno": "\(error)"]
            if error == .notPermitted || error == .permissionDenied {
                metadata["hint"] = "reading it needs CAP_SYSLOG where kernel.dmesg_restrict=1 (see docs/OPERATIONS.md, The unit)"
            } else if error == .noSuchFileOrDirectory {
                metadata["hint"] = "there is no kernel log device here (a container, or systemd's PrivateDevices= without it)"
            }
            logger.warning("cannot read the kernel log; OOM kills will not be reported, the rules are enforced as usual", metadata: metadata)
            return nil
        }
    }

    // MARK: Decisions

    /// What the agent just decided for `pid` (in a dry run it decided, and wrote nothing).
    func note(_ outcome: EnforcementOutcome, pid: Int32, rules: RuleSet, dryRun: Bool) {
        func decided(_ rule: Int, _ comm: Comm, _ outcome: DecisionLedger.Decision.Outcome, holding score: OOMScore? = nil) {
            let chosen = rules.rules[rule]
            ledger.record(.init(comm: comm, rule: chosen.location, score: score ?? chosen.score, outcome: outcome), for: pid)
        }
        switch outcome {
        case .unmatched, .gone: ledger.forget(pid)
        case .unchanged(let rule, let comm, _): decided(rule, comm, .applied)
        case .adjusted(let rule, let comm, _, _, _): decided(rule, comm, dryRun ? .dryRun : .applied)
        // The binary was replaced: the process keeps the value it holds, which is the rule's doing when
        // the agent had granted it before.
        case .kept(let rule, let comm, let score): decided(rule, comm, .applied, holding: score)
        // Protection taken back: the value written back is a later rule's, or no rule's.
        case .restored(let comm, _, _, let because, _):
            if let rule = because.appliedRule, !dryRun { decided(rule, comm, .applied) } else { ledger.forget(pid) }
        case .denied(let rule?, let comm, _, _, _): decided(rule, comm, .denied)
        case .denied(nil, _, _, _, _): ledger.forget(pid)
        case .refused(let rule, let comm, let refusal): decided(rule, comm, .refused(refusal))
        case .failed: break
        }
    }


    // MARK: Reading

    /// Reads what the kernel log holds now, up to the per-wake-up bound; never blocks.
    func drain(into counters: inout Counters) {
        for _ in 0..<recordsPerWakeup {
            let read: KernelLog.Read
            do {
                read = try log.next()
            } catch {
                logger.warning("cannot read the kernel log; OOM kills will not be reported from now on", metadata: ["errno": "\(error)"])
                counters[.watchingKernelLog] = 0
                stopped = true
                return
            }
            switch read {
            case .empty:
                return
            case .overrun:
                assembler.reset()
                logger.warning("kernel log records were overwritten before the agent read them; an OOM kill among them is not reported")
            case .record(nil):
                continue
            case .record(let record?):
                consume(record, into: &counters)
            }
        }
    }

    /// One record of the kernel log, in order.
    func consume(_ record: KernelLogRecord, into counters: inout Counters) {
        if let kill = assembler.consume(record) { report(kill, into: &counters) }
    }

    private func report(_ kill: OOMKill, into counters: inout Counters) {
        let decision = ledger.decision(for: kill.pid, comm: kill.commName)
        let assessment = OOMKillAssessment(kill, decision: decision)
        counters[Counter.oomKills(assessment.victim)] += 1
        let comm = String(decoding: kill.comm, as: UTF8.self)
        counters.lastOOMKill = OOMKillNote(
            pid: kill.pid, comm: comm, victim: assessment.victim, rule: assessment.rule?.description,
            unixNanoseconds: realtimeNanoseconds(ofKernelLogMicroseconds: kill.bootMicroseconds))
        var metadata = Self.metadata(kill, assessment)
        if assessment.victim == .protected {
            if let others = kill.others {
                metadata["candidates"] = "\(kill.candidateCount)"
                metadata["could_have_gone_instead"] = "\(others.isEmpty ? "none" : others.map(describe).joined(separator: "; "))"
            }
            logger.error("a protected process was killed", metadata: metadata)
        } else {
            logger.warning("the OOM killer killed a process", metadata: metadata)
        }
    }

    static func metadata(_ kill: OOMKill, _ assessment: OOMKillAssessment) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "pid": "\(kill.pid)", "comm": "\(String(decoding: kill.comm, as: UTF8.self))",
            "rule": "\(assessment.rule?.description ?? "no rule")", "victim": "\(assessment.victim.rawValue)",
            "protected": "\(assessment.victim == .protected ? "yes" : "no")",
        ]
        if let uid = kill.uid { metadata["uid"] = "\(uid)" }
        if let score = kill.oomScoreAdj { metadata["oom_score_adj"] = "\(score)" }
        if let resident = kill.residentKiB { metadata["rss_kib"] = "\(resident)" }
        switch kill.domain {
        case .global(let constraint):
            metadata["constraint"] = "global"
            if let constraint, constraint != "CONSTRAINT_NONE" { metadata["kernel_constraint"] = "\(constraint)" }
        case .memoryCgroup(let cgroup):
            metadata["constraint"] = "memcg"
            if let cgroup { metadata["cgroup"] = "\(String(decoding: cgroup, as: UTF8.self))" }
        }
        if let taskCgroup = kill.taskCgroup { metadata["task_cgroup"] = "\(String(decoding: taskCgroup, as: UTF8.self))" }
        if kill.groupKill { metadata["group_kill"] = "yes" }
        if let matched = assessment.matchedRule { metadata["matched_rule"] = "\(matched)" }
        if let why = assessment.whyNotApplied { metadata["not_applied"] = "\(why)" }
        return metadata
    }

    /// One other candidate of the report: `PID COMM (oom_score_adj N, RSS KiB, rule PATH:LINE)`.
    private func describe(_ row: OOMTaskRow) -> String {
        let comm = Comm(row.comm)
        var text = "\(row.pid) \(comm) (oom_score_adj \(row.oomScoreAdj), \(row.residentPages) pages"
        if let decision = ledger.decision(for: row.pid, comm: comm) { text += ", rule \(decision.rule)" }
        return text + ")"
    }
}
