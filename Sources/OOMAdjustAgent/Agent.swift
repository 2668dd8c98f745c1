import Glibc
import Logging
import OOMAdjustCore
import OOMAdjustLinux
import SystemPackage

/// The daemon: kernel event → process snapshot → decision → write → log, plus sweeps and reloads.
public final class Agent {
    private let loader: RuleLoader
    private var enforcer: Enforcer
    private let logger: Logger
    public private(set) var counters = Counters()
    /// Reports the OOM kills the kernel logs, when the kernel log can be read (set before `run`).
    public var killWatch: KillWatch?
    /// Who holds protection the agent granted, and who may not be granted it until they exec.
    public private(set) var ledger = ProtectionLedger()
    /// Rules whose EACCES has been logged once already (nil: a write-back); later refusals are only
    /// counted.
    private var reportedDenials: Set<Int?> = []
    /// While the ledger holds anything, it is checked for finished processes at least this often (and at
    /// once when it has doubled): the agent does not listen to exits, which would wake it for every
    /// process that ends on the machine.
    private let ledgerCheckIntervalNanoseconds: UInt64 = 10_000_000_000
    private var nextLedgerCheck: UInt64 = 0
    /// How many datagrams one wake-up may handle before signals get a look in, so a storm cannot keep
    /// SIGTERM or SIGHUP waiting.
    private let batchesPerWakeup = 32

    public init(loader: RuleLoader, rules: RuleSet, procRoot: ProcRoot, dryRun: Bool, logger: Logger) {
        self.loader = loader
        self.enforcer = Enforcer(rules: rules, procRoot: procRoot, dryRun: dryRun)
        self.logger = logger
        let protective = rules.rules.filter { $0.score.isProtective }.count
        if protective > 0 && Capabilities.isEffective(Capabilities.sysResource) == false {
            logger.warning(
                "this agent lacks CAP_SYS_RESOURCE, so the kernel refuses every value below 0: the protective rules cannot take effect; grant it (the unit's CapabilityBoundingSet= has it; in a container, add SYS_RESOURCE)",
                metadata: ["protective_rules": "\(protective)"])
        }
        if let problem = procRoot.hostRootProblem {
            logger.warning(
                "cannot open /proc/1/root, the host's root directory; executables are judged in the agent's own view of the file system instead, which in a container is its image's (give the agent CAP_SYS_PTRACE over PID 1)",
                metadata: ["errno": "\(problem)"])
        }
    }

    public var rules: RuleSet { enforcer.rules }

    // MARK: Sweeps

    /// What one sweep found: the outcomes it counted (`Counter.outcomes`), how many processes it looked
    /// at and how long it took.
    public struct SweepSummary: Sendable {
        public var outcomes = Counters()
        public var processes = 0
        public var nanoseconds: UInt64 = 0
    }

    /// Looks at every process in /proc once. After lost events (`adoptingLostForks`), a process holding a
    /// protective value whose parent holds the agent's protection is taken to have inherited it through
    /// a fork the agent never saw. With `warningAboutReach` (at start-up and after a reload) it then warns
    /// about the rules that apply to nothing here, from the comms it met on its way: a second pass
    /// over /proc for that would cost as much as the sweep.
    @discardableResult
    public func sweep(reason: String, adoptingLostForks: Bool = false, warningAboutReach: Bool = false) -> SweepSummary {
        var summary = SweepSummary()
        let start = monotonicNanoseconds()
        var comms: Set<Comm> = []
        let adopting = adoptingLostForks && ledger.protectedCount > 0
        ledger.beginSweep()
        do {
            try enforcer.procRoot.forEachProcess { pid in
                ledger.met(pid)
                if adopting && ledger[pid] == nil, let parent = enforcer.protectedParent(of: pid, in: ledger) {
                    ledger.forked(child: pid, parent: parent)
                }
                let outcome = enforcer.enforce(pid: pid, trigger: .sweep, ledger: &ledger)
                if warningAboutReach, let comm = outcome.comm { comms.insert(comm) }
                summary.processes += 1
                summary.outcomes.count(outcome)
                record(outcome, pid: pid, trigger: .sweep, eventTimestamp: nil)
            }
            ledger.endSweep()
        } catch {
            logger.error("cannot list /proc", metadata: ["errno": "\(error)"])
            summary.outcomes[.failed] += 1
        }
        counters[.protectedProcesses] = ledger.protectedCount
        summary.nanoseconds = monotonicNanoseconds() - start
        if warningAboutReach {
            let inventory = SystemInventory(executables: SystemInventoryReader.executables(enforcer.procRoot), processComms: comms)
            for warning in RuleReach.warnings(enforcer.rules.rules, inventory: inventory) {
                logger.warning("config warning", metadata: ["diagnostic": "\(warning)"])
            }
        }
        counters[.sweeps] += 1
        counters[.lastSweepNanoseconds] = Int(summary.nanoseconds)
        counters[.lastSweepMatched] = summary.outcomes[.matched]
        var metadata: Logger.Metadata = ["reason": "\(reason)", "processes": "\(summary.processes)"]
        for (name, value) in summary.outcomes.fields(Counter.outcomes) { metadata[name] = "\(value)" }
        metadata["duration_ms"] = "\(Double(summary.nanoseconds / 1000) / 1000)"
        logger.info("sweep finished", metadata: metadata)
        return summary
    }

    // MARK: The event loop

    /// Runs until SIGTERM or SIGINT. The caller has subscribed `connector` already; the start-up sweep
    /// runs here, after the subscription, so a process started in between is seen by one or the other.
    /// `duties` (readiness, watchdog, metrics) get a turn after every wake-up and bound each sleep.
    public func run(connector: ProcConnector, signals: SignalChannel, duties: ServiceDuties? = nil) throws(Errno) {
        counters[.watchingKernelLog] = killWatch != nil ? 1 : 0
        sweep(reason: "start-up", warningAboutReach: true)
        duties?.ready(counters, rules: rules.rules.count, now: monotonicNanoseconds())
        let batch = DatagramBatch()
        var descriptors = [
            pollfd(fd: connector.fileDescriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: signals.fileDescriptor, events: Int16(POLLIN), revents: 0),
            // poll skips a negative descriptor: without a kernel log this slot never fires.
            pollfd(fd: killWatch?.pollDescriptor ?? -1, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            for slot in descriptors.indices { descriptors[slot].revents = 0 }
            try poll(&descriptors, timeoutMilliseconds: timeoutMilliseconds(duties))
            if descriptors[0].revents != 0 {
                try drain(connector, into: batch)
            }
            // POLLERR too: the kernel log signals overwritten records that way.
            if descriptors[2].revents != 0 {
                killWatch?.drain(into: &counters)
                descriptors[2].fd = killWatch?.pollDescriptor ?? -1
            }
            if descriptors[1].revents != 0 {
                while let signal = signals.next() {
                    if signal == SIGHUP { duties?.reloading(now: monotonicNanoseconds()) }
                    if !handle(signal: signal) {
                        duties?.stopping()
                        return
                    }
                    if signal == SIGHUP { duties?.reloaded(counters, rules: rules.rules.count, now: monotonicNanoseconds()) }
                }
            }
            let now = monotonicNanoseconds()
            if ledger.isDueForCheck || killWatch?.isDueForCheck == true || (!ledger.isEmpty && now >= nextLedgerCheck) {
                forgetFinishedProcesses()
            }
            duties?.tick(counters, rules: rules.rules.count, now: now)
        }
    }

    /// How long the loop may sleep: until the next duty, or the ledger's next check while it holds anything.
    private func timeoutMilliseconds(_ duties: ServiceDuties?) -> Int32 {
        let now = monotonicNanoseconds()
        let forDuties = duties?.timeoutMilliseconds(now: now) ?? -1
        guard !ledger.isEmpty else { return forDuties }
        let forLedger = nextLedgerCheck <= now ? 0 : Int32(clamping: (nextLedgerCheck - now + 999_999) / 1_000_000)
        return forDuties < 0 ? forLedger : min(forDuties, forLedger)
    }

    /// Handles what is queued on the socket, up to a bound. An overflow means the kernel dropped events
    /// it could not queue: the loss is logged and counted, and a sweep after the drain finds whatever
    /// those events would have shown.
    private func drain(_ connector: ProcConnector, into batch: DatagramBatch) throws(Errno) {
        var lostEvents = false
        for _ in 0..<batchesPerWakeup {
            let outcome = try connector.receive(into: batch)
            switch outcome {
            case .empty:
                break
            case .overflow:
                lostEvents = true
                counters[.overflows] += 1
                continue
            case .datagrams(let count):
                counters[.datagrams] += count
                for index in 0..<count { handle(batch.content(at: index)) }
                counters[.protectedProcesses] = ledger.protectedCount
                // A batch that was not full emptied the socket: poll says when more comes, which saves
                // a receive that would find nothing.
                if count == batch.capacity { continue }
            }
            break
        }
        if lostEvents {
            logger.warning(
                "process events were lost: the socket overflowed; sweeping /proc",
                metadata: ["overflows": "\(counters[.overflows])"])
            sweep(reason: "overflow", adoptingLostForks: true)
        }
    }

    /// Drops the ledger entries whose process is finished: gone, a zombie with no thread left, or its pid
    /// now another process's (a main thread may leave before the others; that process lives on).
    private func forgetFinishedProcesses() {
        for pid in ledger.pids where enforcer.isFinished(pid: pid, startTime: ledger[pid]?.startTime) {
            ledger.forget(pid)
        }
        ledger.checked()
        killWatch?.forgetGone(exists: enforcer.procRoot.exists)
        nextLedgerCheck = monotonicNanoseconds() + ledgerCheckIntervalNanoseconds
        counters[.protectedProcesses] = ledger.protectedCount
    }

    private func handle(_ content: DatagramContent) {
        let event: ProcessEvent
        switch content {
        case .event(let decoded): event = decoded
        case .ignored: return
        case .foreign:
            counters[.foreignMessages] += 1
            return
        case .malformed:
            counters[.malformedMessages] += 1
            return
        }
        let holdsProtection: Bool
        switch event.kind {
        case .exec:
            counters[.execEvents] += 1
            holdsProtection = ledger.observe(.execed(event.pid))
        case .fork:
            counters[.forkEvents] += 1
            holdsProtection = ledger.observe(.forked(child: event.pid, parent: event.parentPID))
        case .comm:
            counters[.commEvents] += 1
            holdsProtection = ledger.observe(.renamed(event.pid))
        case .uid:
            counters[.uidEvents] += 1
            holdsProtection = ledger.observe(.uidChanged(event.pid))
        }
        // A new uid changes nothing for a process the agent gave nothing: protection is granted at exec,
        // fork, rename and sweeps, and a uid change can only take away what the agent gave.
        if event.kind == .uid && !holdsProtection { return }
        let outcome = enforcer.enforce(pid: event.pid, trigger: .event(event.kind), ledger: &ledger)
        record(outcome, pid: event.pid, trigger: .event(event.kind), eventTimestamp: event.timestampNanoseconds)
    }

    /// Returns false when the loop should end.
    private func handle(signal: CInt) -> Bool {
        switch signal {
        case SIGTERM, SIGINT:
            logger.info("stopping", metadata: ["signal": "\(signal == SIGTERM ? "SIGTERM" : "SIGINT")"])
            return false
        case SIGHUP:
            reload()
        case SIGUSR1:
            logCounters()
        default:
            break
        }
        return true
    }

    // MARK: Reload

    /// Re-reads the configuration. On any error the rules in force stay, and every error is logged;
    /// on success the new rules apply to running processes through a sweep.
    public func reload() {
        switch loader.load() {
        case .failure(let failure):
            counters[.reloadsFailed] += 1
            logger.error(
                "config reload failed; keeping the previous rules",
                metadata: ["errors": "\(failure.diagnostics.count)", "rules": "\(enforcer.rules.rules.count)"])
            for diagnostic in failure.diagnostics {
                logger.error("config error", metadata: ["diagnostic": "\(diagnostic)"])
            }
        case .success(let loaded):
            counters[.reloadsSucceeded] += 1
            for warning in loaded.warnings {
                logger.warning("config warning", metadata: ["diagnostic": "\(warning)"])
            }
            enforcer.rules = loaded.rules
            reportedDenials.removeAll()
            logger.info("config reloaded", metadata: ["rules": "\(loaded.rules.rules.count)"])
            sweep(reason: "reload", warningAboutReach: true)
        }
    }

    // MARK: Reporting

    /// Counts an outcome and logs what deserves it: every matched process at debug (the verbose trace),
    /// the first refusal per rule at error, other failures at warning.
    private func record(_ outcome: EnforcementOutcome, pid: Int32, trigger: Trigger, eventTimestamp: UInt64?) {
        counters.count(outcome)
        killWatch?.note(outcome, pid: pid, rules: enforcer.rules, dryRun: enforcer.dryRun)
        switch outcome {
        case .gone, .unmatched:
            return
        case .refused(let rule, let comm, let refusal):
            guard logger.logLevel <= .debug else { return }
            logger.debug(
                "protection refused by the trust policy",
                metadata: [
                    "event": "\(trigger)", "pid": "\(pid)", "comm": "\(comm)",
                    "rule": "\(enforcer.rules.rules[rule].location)", "reason": "\(refusal)",
                ])
        case .unchanged(let rule, let comm, let score):
            trace("unchanged", trigger, pid, comm, rule, from: score, to: score, eventTimestamp)
        case .adjusted(let rule, let comm, let from, let to, let instead):
            var extra: Logger.Metadata = [:]
            if let instead {
                extra["refused"] = "\(enforcer.rules.rules[instead.rule].location)"
                extra["reason"] = "\(instead.reason)"
            }
            trace(enforcer.dryRun ? "would adjust (dry run)" : "adjusted", trigger, pid, comm, rule, from: from, to: to, eventTimestamp, extra)
        case .restored(let comm, let from, let to, let verdict, let taken):
            var extra: Logger.Metadata = ["reason": "\(restoreReason(verdict))"]
            if let taken { extra["granted_by"] = "\(taken.rule)" }
            trace(
                enforcer.dryRun ? "would take back protection (dry run)" : "protection taken back", trigger, pid, comm,
                verdict.appliedRule ?? verdict.refusal?.rule, from: from, to: to, eventTimestamp, extra)
        case .kept(let rule, let comm, let score):
            trace("kept: its binary was replaced on disk since it started", trigger, pid, comm, rule, from: score, to: score, eventTimestamp)
        case .denied(let rule, let comm, let from, let to, let error):
            trace("denied by the kernel", trigger, pid, comm, rule, from: from, to: to, eventTimestamp)
            if reportedDenials.insert(rule).inserted {
                var metadata: Logger.Metadata = [
                    "pid": "\(pid)", "comm": "\(comm)", "old": "\(from)", "new": "\(to)", "errno": "\(error)",
                ]
                if let rule { metadata["rule"] = "\(enforcer.rules.rules[rule].location)" }
                logger.error(
                    "the kernel denied the write of oom_score_adj: lowering it below the process's floor needs CAP_SYS_RESOURCE, which this agent lacks; further denials for this rule are only counted",
                    metadata: metadata)
            }
        case .failed(let rule, let error):
            var metadata: Logger.Metadata = ["event": "\(trigger)", "pid": "\(pid)", "errno": "\(error.errno)", "call": "\(error.function)"]
            if let rule { metadata["rule"] = "\(enforcer.rules.rules[rule].location)" }
            logger.warning("cannot examine or adjust process", metadata: metadata)
        }
    }

    private func trace(
        _ message: Logger.Message, _ trigger: Trigger, _ pid: Int32, _ comm: Comm, _ rule: Int?,
        from: OOMScore, to: OOMScore, _ eventTimestamp: UInt64?, _ extra: Logger.Metadata = [:]
    ) {
        guard logger.logLevel <= .debug else { return }
        let now = monotonicNanoseconds()
        var metadata: Logger.Metadata = [
            "event": "\(trigger)", "pid": "\(pid)", "comm": "\(comm)", "old": "\(from)", "new": "\(to)",
        ]
        if let rule { metadata["rule"] = "\(enforcer.rules.rules[rule].location)" }
        if let eventTimestamp, now >= eventTimestamp {
            metadata["latency_us"] = "\((now - eventTimestamp) / 1000)"
        }
        metadata.merge(extra) { $1 }
        logger.debug(message, metadata: metadata)
    }

    /// Why a process loses the protection the agent gave it, in words.
    private func restoreReason(_ verdict: Verdict) -> String {
        switch verdict {
        case .noMatch: return "no protective rule matches it"
        case .refused(_, let reason), .applyInstead(_, _, let reason): return "\(reason)"
        case .apply(let rule): return "its rule gives oom_score_adj \(enforcer.rules.rules[rule].score)"
        case .keep: return "kept"
        }
    }

    /// Every counter of the table, on one line (SIGUSR1).
    public func logCounters() {
        var metadata: Logger.Metadata = [:]
        for (name, value) in counters.fields() { metadata[name] = "\(value)" }
        logger.info("counters", metadata: metadata)
    }
}
