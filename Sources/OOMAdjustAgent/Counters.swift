import OOMAdjustCore

/// What the agent has done since it started.
public struct Counters: Sendable {
    /// Every datagram read from the socket, whatever it held: what the socket filter let through.
    public var datagrams = 0
    public var execEvents = 0
    public var forkEvents = 0
    public var commEvents = 0
    public var uidEvents = 0
    /// Datagrams dropped because they did not come from the kernel.
    public var foreignMessages = 0
    /// Datagrams the decoder refused as malformed.
    public var malformedMessages = 0

    public var matched = 0
    public var adjusted = 0
    public var alreadyRight = 0
    public var gone = 0
    public var permissionDenied = 0
    public var failed = 0
    /// Processes a protective rule matched but the trust policy refused to adjust.
    public var refused = 0
    /// Processes whose protection from the agent was taken back (value and floor written back).
    public var restored = 0
    /// Processes kept as they are because their binary was replaced on disk.
    public var kept = 0
    /// Processes holding protection the agent granted, now (a gauge).
    public var protectedProcesses = 0

    /// Times the socket overflowed and events were lost (each followed by a sweep).
    public var overflows = 0
    public var sweeps = 0
    public var lastSweepNanoseconds: UInt64 = 0
    /// Processes a rule matched in the last sweep: how many the agent is watching over now.
    public var lastSweepMatched = 0
    public var reloadsSucceeded = 0
    public var reloadsFailed = 0

    /// OOM kills the kernel reported, by how the victim stood with the rules (KillWatch).
    public var oomKills: [OOMKillAssessment.Victim: Int] = [:]
    /// The most recent of them.
    public var lastOOMKill: OOMKillNote?
    /// Whether the kernel log is read at all: without it no kill is seen.
    public var watchingKernelLog = false

    public init() {}

    mutating func count(_ outcome: EnforcementOutcome) {
        switch outcome {
        case .gone: gone += 1
        case .unmatched: break
        case .untrusted:
            matched += 1
            refused += 1
        case .unchanged:
            matched += 1
            alreadyRight += 1
        case .adjusted(_, _, _, _, let instead):
            matched += 1
            adjusted += 1
            if instead != nil { refused += 1 }
        case .restored(_, _, _, let verdict, _):
            if verdict.decidingRule != nil { matched += 1 }
            if verdict.refusal != nil { refused += 1 }
            restored += 1
        case .kept:
            matched += 1
            kept += 1
        case .denied(let rule, _, _, _, _):
            if rule != nil { matched += 1 }
            permissionDenied += 1
        case .failed(let rule, _):
            if rule != nil { matched += 1 }
            failed += 1
        }
    }
}
