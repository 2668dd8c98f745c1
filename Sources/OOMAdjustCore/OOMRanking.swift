/// What the OOM killer weighs about one process (mm/oom_kill.c, oom_badness), as /proc shows it.
public struct OOMCandidate: Equatable, Sendable {
    public let pid: Int32
    public let comm: Comm
    /// The real uid, as the kernel's kill report prints it; nil when unreadable.
    public let uid: UInt32?
    /// VmRSS, VmSwap and VmPTE of /proc/PID/status, in KiB; all 0 without an address space.
    public let residentKiB: Int
    public let swapKiB: Int
    public let pageTableKiB: Int
    /// The process has an address space (status shows Vm* lines): not a kernel thread or a zombie.
    public let hasMemory: Bool
    /// PF_KTHREAD.
    public let isKernelThread: Bool
    public let oomScoreAdj: OOMScore
    /// The kernel's /proc/PID/oom_score (0…2000, on the machine's scale); nil when unreadable or not read.
    public var oomScore: Int?
    /// When the process started, in clock ticks since boot: the kernel meets older processes first in
    /// its walk, and of equal scores it takes the last one it meets.
    public let startTicks: UInt64

    public init(
        pid: Int32, comm: Comm, uid: UInt32?, residentKiB: Int, swapKiB: Int, pageTableKiB: Int, hasMemory: Bool,
        isKernelThread: Bool, oomScoreAdj: OOMScore, oomScore: Int?, startTicks: UInt64
    ) {
        self.pid = pid
        self.comm = comm
        self.uid = uid
        self.residentKiB = residentKiB
        self.swapKiB = swapKiB
        self.pageTableKiB = pageTableKiB
        self.hasMemory = hasMemory
        self.isKernelThread = isKernelThread
        self.oomScoreAdj = oomScoreAdj
        self.oomScore = oomScore
        self.startTicks = startTicks
    }
}

/// The memory an OOM decision is measured against (the kernel's `oc->totalpages`): each point of
/// oom_score_adj is worth a thousandth of it.
public struct OOMDomainSize: Equatable, Sendable {
    public let totalPages: Int
    public let pageKiB: Int

    public init(totalPages: Int, pageKiB: Int) {
        self.totalPages = max(totalPages, 1)
        self.pageKiB = pageKiB
    }

    /// A global OOM: all RAM plus all swap (constrained_alloc, CONSTRAINT_NONE).
    public static func machine(ramPages: Int, swapPages: Int, pageKiB: Int) -> OOMDomainSize {
        OOMDomainSize(totalPages: ramPages + swapPages, pageKiB: pageKiB)
    }

    /// The swap a memory cgroup may use besides its memory limit.
    public enum SwapLimit: Equatable, Sendable {
        /// cgroup v2 `memory.swap.max` (or v1 without swap accounting): a limit of its own; nil for "max".
        case separate(pages: Int?)
        /// cgroup v1 `memory.memsw.limit_in_bytes`: memory and swap together; nil for "max".
        case combined(pages: Int?)
    }

    /// A memory cgroup's OOM: its limit, plus the swap it may use when its swappiness is not 0
    /// (mem_cgroup_get_max). A nil limit is "max", which the kernel takes literally (PAGE_COUNTER_MAX).
    public static func memoryCgroup(limitPages: Int?, swap: SwapLimit, swappiness: Int, totalSwapPages: Int, pageKiB: Int)
        -> OOMDomainSize
    {
        let unlimited = Int.max / (pageKiB * 1024)
        let memory = min(limitPages ?? unlimited, unlimited)
        guard swappiness != 0 else { return OOMDomainSize(totalPages: memory, pageKiB: pageKiB) }
        let extra: Int
        switch swap {
        case .separate(let pages): extra = min(pages ?? unlimited, totalSwapPages)
        case .combined(let pages): extra = min(max(min(pages ?? unlimited, unlimited) - memory, 0), totalSwapPages)
        }
        return OOMDomainSize(totalPages: memory.addingClamped(extra), pageKiB: pageKiB)
    }
}

/// Why the kernel will never choose a process.
public enum NeverChosen: String, Error, Sendable, CaseIterable {
    /// oom_score_adj -1000 (OOM_SCORE_ADJ_MIN).
    case unkillable = "oom_score_adj -1000"
    /// PID 1 (is_global_init).
    case initProcess = "init"
    case kernelThread = "kernel thread"
    /// No address space left: exiting, or a zombie.
    case noMemory = "no memory (exiting)"
}

/// The kernel's choice of victim, computed as oom_badness and select_bad_process compute it.
public enum OOMRanking {
    public struct Entry: Equatable, Sendable {
        public var candidate: OOMCandidate
        /// The kernel's badness in pages (resident + swap + page tables + oom_score_adj × totalpages /
        /// 1000); nil when never chosen.
        public let points: Int?
        public let neverChosen: NeverChosen?
        /// 1 for the process the kernel would kill first; nil when never chosen.
        public let position: Int?
    }

    /// oom_unkillable_task, then oom_badness.
    public static func points(of candidate: OOMCandidate, in domain: OOMDomainSize) -> Result<Int, NeverChosen> {
        if candidate.pid == 1 { return .failure(.initProcess) }
        if candidate.isKernelThread { return .failure(.kernelThread) }
        if !candidate.hasMemory { return .failure(.noMemory) }
        if candidate.oomScoreAdj == OOMScore(-1000)! { return .failure(.unkillable) }
        let pages = (candidate.residentKiB + candidate.swapKiB + candidate.pageTableKiB) / domain.pageKiB
        // The kernel divides first: `adj *= totalpages / 1000`.
        return .success(pages.addingClamped(Int(candidate.oomScoreAdj.rawValue) * (domain.totalPages / 1000)))
    }

    /// What /proc/PID/oom_score shows for these points measured against the whole machine
    /// (proc_oom_score): 0 for a process never chosen.
    public static func oomScore(points: Int?, machine: OOMDomainSize) -> Int {
        guard let points else { return 0 }
        return (1000 + points * 1000 / machine.totalPages) * 2 / 3
    }

    /// Every candidate in the order the kernel would kill them now: highest points first, of equal
    /// points the newer process first (select_bad_process keeps the last of equals it meets, and it
    /// meets the oldest first); then, unordered by the kernel, those it never chooses, by PID.
    public static func order(_ candidates: [OOMCandidate], in domain: OOMDomainSize) -> [Entry] {
        var chosen: [(OOMCandidate, Int)] = []
        var never: [(OOMCandidate, NeverChosen)] = []
        for candidate in candidates {
            switch points(of: candidate, in: domain) {
            case .success(let points): chosen.append((candidate, points))
            case .failure(let reason): never.append((candidate, reason))
            }
        }
        chosen.sort { a, b in
            if a.1 != b.1 { return a.1 > b.1 }
            if a.0.startTicks != b.0.startTicks { return a.0.startTicks > b.0.startTicks }
            return a.0.pid > b.0.pid
        }
        never.sort { $0.0.pid < $1.0.pid }
        return chosen.enumerated().map { Entry(candidate: $1.0, points: $1.1, neverChosen: nil, position: $0 + 1) }
            + never.map { Entry(candidate: $0.0, points: nil, neverChosen: $0.1, position: nil) }
    }
}

extension Int {
    func addingClamped(_ other: Int) -> Int {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }
}
