import OOMAdjustCore

/// One thing the agent counts. This table is the only list of them: the `counters` log line, the
/// metrics file, `STATUS=` and the sweep summaries all iterate it, so none of them can miss one or
/// spell it another way. One word per outcome, everywhere: `unchanged` (the value was already the
/// rule's), `refused` (by the trust policy), `denied` (by the kernel).
public enum Counter: Int, CaseIterable, Sendable {
    /// Every datagram read from the socket, whatever it held: what the socket filter let through.
    case datagrams
    case execEvents, forkEvents, commEvents, uidEvents
    /// Datagrams dropped because they did not come from the kernel.
    case foreignMessages
    /// Datagrams the decoder refused as malformed.
    case malformedMessages

    /// Processes a rule matched (each also counts under one outcome below).
    case matched
    case adjusted
    /// The process already had the rule's value.
    case unchanged
    /// The process exited before it could be examined.
    case gone
    /// The kernel refused the write (a value below the floor without CAP_SYS_RESOURCE).
    case denied
    /// A protective rule matched and the trust policy refused it.
    case refused
    case failed
    /// Protection from the agent taken back (value and floor written back).
    case restored
    /// Kept as they are because their binary was replaced on disk.
    case kept
    /// Processes holding protection the agent granted, now (a gauge).
    case protectedProcesses

    /// Times the socket overflowed and events were lost (each followed by a sweep).
    case overflows
    case sweeps
    case lastSweepNanoseconds
    /// Processes a rule matched in the last sweep: how many the agent is watching over now.
    case lastSweepMatched
    case reloadsSucceeded, reloadsFailed

    /// OOM kills the kernel reported, by how the victim stood with the rules (KillWatch).
    case oomKillsProtected, oomKillsRuled, oomKillsUnruled
    /// 1 while the kernel log is read at all: without it no kill is seen.
    case watchingKernelLog

    /// Its key in the `counters` log line and the sweep summaries.
    public var name: String {
        switch self {
        case .datagrams: "datagrams"
        case .execEvents: "events_exec"
        case .forkEvents: "events_fork"
        case .commEvents: "events_comm"
        case .uidEvents: "events_uid"
        case .foreignMessages: "foreign_messages"
        case .malformedMessages: "malformed_messages"
        case .matched: "matched"
        case .adjusted: "adjusted"
        case .unchanged: "unchanged"
        case .gone: "gone"
        case .denied: "denied"
        case .refused: "refused"
        case .failed: "failed"
        case .restored: "restored"
        case .kept: "kept"
        case .protectedProcesses: "protected_processes"
        case .overflows: "overflows"
        case .sweeps: "sweeps"
        case .lastSweepNanoseconds: "last_sweep_ns"
        case .lastSweepMatched: "last_sweep_matched"
        case .reloadsSucceeded: "reloads_ok"
        case .reloadsFailed: "reloads_failed"
        case .oomKillsProtected: "oom_kills_protected"
        case .oomKillsRuled: "oom_kills_ruled"
        case .oomKillsUnruled: "oom_kills_unruled"
        case .watchingKernelLog: "kernel_log_watched"
        }
    }

    /// Where the metrics file shows it: its family and the label that tells it from the family's others.
    public var metric: (family: MetricFamily, label: String?) {
        switch self {
        case .datagrams: (.datagrams, nil)
        case .execEvents: (.events, "kind=\"exec\"")
        case .forkEvents: (.events, "kind=\"fork\"")
        case .commEvents: (.events, "kind=\"comm\"")
        case .uidEvents: (.events, "kind=\"uid\"")
        case .foreignMessages: (.droppedMessages, "reason=\"foreign\"")
        case .malformedMessages: (.droppedMessages, "reason=\"malformed\"")
        case .matched: (.matched, nil)
        case .adjusted, .unchanged, .gone, .denied, .refused, .failed, .restored, .kept: (.processes, "outcome=\"\(name)\"")
        case .protectedProcesses: (.protectedProcesses, nil)
        case .overflows: (.overflows, nil)
        case .sweeps: (.sweeps, nil)
        case .lastSweepNanoseconds: (.lastSweepDuration, nil)
        case .lastSweepMatched: (.lastSweepMatched, nil)
        case .reloadsSucceeded: (.reloads, "result=\"ok\"")
        case .reloadsFailed: (.reloads, "result=\"failed\"")
        case .oomKillsProtected: (.oomKills, "victim=\"\(OOMKillAssessment.Victim.protected.rawValue)\"")
        case .oomKillsRuled: (.oomKills, "victim=\"\(OOMKillAssessment.Victim.ruled.rawValue)\"")
        case .oomKillsUnruled: (.oomKills, "victim=\"\(OOMKillAssessment.Victim.unruled.rawValue)\"")
        case .watchingKernelLog: (.oomKillsWatched, nil)
        }
    }

    /// How `STATUS=` (systemctl status) says it after "since start:", when it says it at all: adjusted
    /// always, the troubles when there are any; the rest is for the metrics.
    public var statusPhrase: (words: String, always: Bool)? {
        switch self {
        case .adjusted: ("adjusted", true)
        case .denied: ("denied by the kernel", false)
        case .refused: ("refused by the trust policy", false)
        case .restored: ("taken back", false)
        case .failed: ("failed", false)
        case .overflows: ("overflows", false)
        default: nil
        }
    }

    /// The outcomes of examining a process: what a sweep's summary reports.
    public static let outcomes: [Counter] = [.matched, .adjusted, .unchanged, .denied, .refused, .restored, .kept, .failed, .gone]

    /// The counter of OOM kills of `victim`.
    public static func oomKills(_ victim: OOMKillAssessment.Victim) -> Counter {
        switch victim {
        case .protected: .oomKillsProtected
        case .ruled: .oomKillsRuled
        case .unruled: .oomKillsUnruled
        }
    }
}

/// A family of the metrics file: its name, type and help, in the order the file shows them.
public enum MetricFamily: CaseIterable, Sendable {
    case events, datagrams, droppedMessages, matched, processes, protectedProcesses, overflows, sweeps
    case lastSweepDuration, lastSweepMatched, reloads, oomKills, oomKillsWatched

    public var name: String {
        switch self {
        case .events: "oom_adjust_events_total"
        case .datagrams: "oom_adjust_datagrams_total"
        case .droppedMessages: "oom_adjust_dropped_messages_total"
        case .matched: "oom_adjust_matched_processes_total"
        case .processes: "oom_adjust_processes_total"
        case .protectedProcesses: "oom_adjust_protected_processes"
        case .overflows: "oom_adjust_overflows_total"
        case .sweeps: "oom_adjust_sweeps_total"
        case .lastSweepDuration: "oom_adjust_last_sweep_duration_seconds"
        case .lastSweepMatched: "oom_adjust_last_sweep_matched_processes"
        case .reloads: "oom_adjust_reloads_total"
        case .oomKills: "oom_adjust_oom_kills_total"
        case .oomKillsWatched: "oom_adjust_oom_kills_watched"
        }
    }

    public var isGauge: Bool {
        switch self {
        case .protectedProcesses, .lastSweepDuration, .lastSweepMatched, .oomKillsWatched: true
        default: false
        }
    }

    public var help: String {
        switch self {
        case .events: "Process events received from the kernel, by kind."
        case .datagrams: "Datagrams read from the proc connector socket."
        case .droppedMessages: "Datagrams dropped: foreign (not sent by the kernel) or malformed."
        case .matched: "Processes examined at an event or in a sweep that a rule matched."
        case .processes:
            "Processes examined at an event or in a sweep, by outcome: adjusted, unchanged (already the rule's value), denied (by the kernel), refused (by the trust policy), failed, restored (protection taken back), kept (binary replaced on disk); gone counts every process that exited before it could be examined."
        case .protectedProcesses: "Processes holding protection the agent granted."
        case .overflows: "Times the proc connector socket overflowed and events were lost (each followed by a sweep)."
        case .sweeps: "Sweeps of every process in /proc."
        case .lastSweepDuration: "How long the last sweep took."
        case .lastSweepMatched: "Processes a rule matched in the last sweep."
        case .reloads: "Configuration reloads (SIGHUP), by result."
        case .oomKills:
            "OOM kills the kernel reported, by the victim: protected (the agent had given it a negative value), ruled (a rule set its value), unruled (no rule did)."
        case .oomKillsWatched: "1 when the agent reads the kernel log and so sees OOM kills, 0 when it cannot."
        }
    }

    /// Its samples, in table order.
    public var counters: [Counter] { Counter.allCases.filter { $0.metric.family == self } }
}

/// What the agent has done since it started (or what one sweep did): a value per `Counter`, in fixed
/// storage, so that counting on the event path never allocates.
public struct Counters: Sendable {
    private var values = InlineArray<27, Int>(repeating: 0)

    /// The most recent OOM kill: not a count, but reported beside them.
    public var lastOOMKill: OOMKillNote?

    public init() {
        precondition(values.count == Counter.allCases.count, "Counters' storage and the Counter table differ in size")
    }

    public subscript(counter: Counter) -> Int {
        get { values[counter.rawValue] }
        set { values[counter.rawValue] = newValue }
    }

    /// Adds what `other` counted (a sweep's outcomes) to these.
    mutating func add(_ other: Counters, _ counters: [Counter]) {
        for counter in counters { self[counter] += other[counter] }
    }

    mutating func count(_ outcome: EnforcementOutcome) {
        switch outcome {
        case .gone: self[.gone] += 1
        case .unmatched: break
        case .refused:
            self[.matched] += 1
            self[.refused] += 1
        case .unchanged:
            self[.matched] += 1
            self[.unchanged] += 1
        case .adjusted(_, _, _, _, let instead):
            self[.matched] += 1
            self[.adjusted] += 1
            if instead != nil { self[.refused] += 1 }
        case .restored(_, _, _, let verdict, _):
            if verdict.decidingRule != nil { self[.matched] += 1 }
            if verdict.refusal != nil { self[.refused] += 1 }
            self[.restored] += 1
        case .kept:
            self[.matched] += 1
            self[.kept] += 1
        case .denied(let rule, _, _, _, _):
            if rule != nil { self[.matched] += 1 }
            self[.denied] += 1
        case .failed(let rule, _):
            if rule != nil { self[.matched] += 1 }
            self[.failed] += 1
        }
    }

    /// `name=value` for each of `counters`, as the log's metadata.
    func fields(_ counters: [Counter] = Counter.allCases) -> [(String, Int)] {
        counters.map { ($0.name, self[$0]) }
    }
}
