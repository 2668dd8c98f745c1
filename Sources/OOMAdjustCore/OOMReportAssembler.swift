/// One process the kernel's OOM killer killed, put together from the lines of its report.
public struct OOMKill: Equatable, Sendable {
    /// Where memory ran out.
    public enum Domain: Equatable, Sendable {
        /// The machine, or a cpuset or memory policy of it: `constraint` says which, when known.
        case global(constraint: String?)
        /// A memory cgroup's limit; the cgroup is nil when the report's summary line was not seen.
        case memoryCgroup([UInt8]?)
    }

    public let pid: Int32
    public let comm: [UInt8]
    public let uid: UInt32?
    public let oomScoreAdj: OOMScore?
    /// anon + file + shmem resident memory at the kill, in KiB.
    public let residentKiB: Int?
    public let domain: Domain
    /// The victim's own memory cgroup, when the summary line gave it.
    public let taskCgroup: [UInt8]?
    /// Killed with the rest of its cgroup (memory.oom.group), not chosen by itself.
    public let groupKill: Bool
    /// When the kernel logged it: microseconds since boot, and the record's sequence number.
    public let bootMicroseconds: UInt64
    public let sequence: UInt64
    /// The other processes the report listed as candidates (the victim and -1000 ones left out), the
    /// largest first, at most `OOMReportAssembler.keptCandidates`; nil when the report listed none
    /// (vm.oom_dump_tasks=0, or the report's header was rate-limited away).
    public let others: [OOMTaskRow]?
    /// How many processes the report's task list held, the victim and -1000 ones included.
    public let candidateCount: Int

    public init(
        pid: Int32, comm: [UInt8], uid: UInt32?, oomScoreAdj: OOMScore?, residentKiB: Int?, domain: Domain,
        taskCgroup: [UInt8]?, groupKill: Bool = false, bootMicroseconds: UInt64, sequence: UInt64,
        others: [OOMTaskRow]? = nil, candidateCount: Int = 0
    ) {
        self.pid = pid
        self.comm = comm
        self.uid = uid
        self.oomScoreAdj = oomScoreAdj
        self.residentKiB = residentKiB
        self.domain = domain
        self.taskCgroup = taskCgroup
        self.groupKill = groupKill
        self.bootMicroseconds = bootMicroseconds
        self.sequence = sequence
        self.others = others
        self.candidateCount = candidateCount
    }

    /// As the kernel keeps it: what the agent's decisions are compared with.
    public var commName: Comm { Comm(comm) }
}

/// Reads kernel log records in order and reports each OOM kill once, at its `Killed process` line.
///
/// A report runs: `COMM invoked oom-killer: ...`, memory state, the task list (`Tasks state ...`, a
/// header, one row per candidate), the `oom-kill:` summary, then `Killed process ...` (one per process
/// of the cgroup with memory.oom.group). The kernel rate-limits everything but the `Killed process`
/// line, so any part before it may be missing; and other messages may come between the parts. What
/// is seen is used, and nothing is waited for: the kill line alone makes a kill.
///
/// Memory stays bounded however long the task list is: only the largest candidates are kept.
public struct OOMReportAssembler: Sendable {
    /// How many of the report's other candidates a kill carries.
    public static let keptCandidates = 8

    private var columns: [String]?
    private var candidates: [OOMTaskRow] = []
    private var candidateCount = 0
    private var summary: OOMKillSummary?
    private var summaryCandidates: [OOMTaskRow]?
    private var summaryCandidateCount = 0
    private var groupKill = false

    public init() {}

    /// Forgets a report in progress: after records were lost, its parts no longer belong together.
    public mutating func reset() {
        self = OOMReportAssembler()
    }

    /// Takes the next record; returns a kill when this record was a `Killed process` line.
    public mutating func consume(_ record: KernelLogRecord) -> OOMKill? {
        // Facility 0 is the kernel's own: a process writing to /dev/kmsg cannot claim it (devkmsg_write
        // makes it LOG_USER), so no process can forge a kill report.
        guard record.facility == 0 else { return nil }
        let text = record.text
        if text.firstBytes(Array(" invoked oom-killer: ".utf8)) != nil {
            reset()
            return nil
        }
        if text.firstBytes(Array("Tasks state (memory values in pages)".utf8)) != nil {
            columns = nil
            candidates = []
            candidateCount = 0
            return nil
        }
        if let header = OOMTaskRow.columns(ofHeader: text) {
            columns = header
            candidates = []
            candidateCount = 0
            return nil
        }
        if let columns, let row = OOMTaskRow(text, columns: columns) {
            keep(row)
            return nil
        }
        if let parsed = OOMKillSummary(text) {
            summary = parsed
            summaryCandidates = columns == nil ? nil : candidates
            summaryCandidateCount = candidateCount
            columns = nil
            return nil
        }
        if text.firstBytes(Array(" are going to be killed due to memory.oom.group set".utf8)) != nil {
            groupKill = true
            return nil
        }
        guard let line = KilledProcessLine(text) else { return nil }
        return kill(from: line, record: record)
    }

    private mutating func keep(_ row: OOMTaskRow) {
        candidateCount += 1
        guard row.oomScoreAdj != Int(OOMScore.range.lowerBound) else { return }
        let position = candidates.firstIndex { $0.residentPages < row.residentPages } ?? candidates.endIndex
        // One more than a kill carries, since the victim itself is among them.
        guard position <= Self.keptCandidates else { return }
        candidates.insert(row, at: position)
        if candidates.count > Self.keptCandidates + 1 { candidates.removeLast() }
    }

    private func kill(from line: KilledProcessLine, record: KernelLogRecord) -> OOMKill {
        let ownSummary = summary.flatMap { $0.pid == line.pid ? $0 : nil }
        // Under memory.oom.group every further kill belongs to the report whose summary named the first.
        let domainSummary = ownSummary ?? (groupKill ? summary : nil)
        let domain: OOMKill.Domain
        if let domainSummary {
            domain = domainSummary.isMemoryCgroup ? .memoryCgroup(domainSummary.oomCgroup) : .global(constraint: domainSummary.constraint)
        } else {
            domain = line.isMemoryCgroup ? .memoryCgroup(nil) : .global(constraint: nil)
        }
        let others = domainSummary == nil ? nil : summaryCandidates.map { rows in
            Array(rows.filter { $0.pid != line.pid }.prefix(Self.keptCandidates))
        }
        return OOMKill(
            pid: line.pid, comm: line.comm, uid: line.uid ?? ownSummary?.uid, oomScoreAdj: line.oomScoreAdj,
            residentKiB: line.residentKiB, domain: domain, taskCgroup: ownSummary?.taskCgroup,
            groupKill: ownSummary == nil && domainSummary != nil, bootMicroseconds: record.microseconds,
            sequence: record.sequence, others: others, candidateCount: domainSummary == nil ? 0 : summaryCandidateCount)
    }
}
