/// The processes the agent must keep watching beyond what their rules say: those holding a protective
/// value the agent granted, and those refused protection until they exec again.
///
/// A protective value outlives the reason it was granted. `oom_score_adj` survives fork and exec, and a
/// privileged write also sets the kernel's floor (`oom_score_adj_min`), which forks inherit too: every
/// descendant of a protected daemon holds its value, even one that dropped to an ordinary user or
/// exec'd a shell, and may lower itself back to it at any time. So the agent remembers whom it gave
/// protection and, through fork events, who inherited it, and takes it back (value and floor) from any
/// of them its rules would not protect.
///
/// Pure: fed by events (fork, exec, rename, uid change) and by the agent's decisions. An entry leaves
/// when its process is known to be gone: its pid is reused (a fork event for that pid), a sweep does not
/// meet it, or the agent finds it finished when it checks the ledger, which it does whenever the ledger
/// has doubled since the last check and every few seconds while it holds anything. So it stays about as
/// large as the set of live processes it describes, however many events pass, without the agent having
/// to hear of every exit on the machine.
public struct ProtectionLedger: Sendable {
    /// A protective value the agent gave, and what to restore when taking it back.
    public struct Grant: Hashable, Sendable {
        public var score: OOMScore
        /// The rule that granted it (kept as a location: indices change on reload).
        public var rule: SourceLocation
        /// What the lineage had before the agent changed it, usually 0: written back with the floor.
        public var baseline: OOMScore

        public init(score: OOMScore, rule: SourceLocation, baseline: OOMScore) {
            self.score = score
            self.rule = rule
            self.baseline = baseline
        }
    }

    public struct Entry: Hashable, Sendable {
        /// The protective value it holds from the agent (granted to it, or inherited from a process it
        /// was forked from); nil when it holds none.
        public var grant: Grant?
        /// What refuses it protection until its next exec.
        public var sticky: StickyRefusal?
        /// Its start time (clock ticks since boot) once read: tells it apart from a later process that
        /// gets the same pid while events were lost.
        public var startTime: UInt64?
        /// The last sweep that met it.
        var sweep: UInt32 = 0

        public init(grant: Grant? = nil, sticky: StickyRefusal? = nil, startTime: UInt64? = nil) {
            self.grant = grant
            self.sticky = sticky
            self.startTime = startTime
        }

        init(sweep: UInt32) { self.sweep = sweep }

        var isEmpty: Bool { grant == nil && sticky == nil }
    }

    private var entries: [Int32: Entry] = [:]
    private var currentSweep: UInt32 = 0
    private var schedule = CheckSchedule()

    public init() {}

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }
    /// How many processes hold protection the agent granted.
    public private(set) var protectedCount = 0

    public subscript(pid: Int32) -> Entry? { entries[pid] }

    /// Every pid with an entry, for the agent to check which are finished.
    public var pids: [Int32] { Array(entries.keys) }

    /// Whether the ledger has doubled since its last check (and holds more than a few): each check reads
    /// every entry's /proc/PID/stat, so checking at each doubling costs O(1) per entry added.
    public var isDueForCheck: Bool { schedule.isDue(entries.count) }

    /// The agent checked every entry and forgot the finished ones.
    public mutating func checked() { schedule.checked(leaving: entries.count) }

    // MARK: Events

    /// What the kernel reports that changes what the ledger knows.
    public enum Event: Hashable, Sendable {
        case forked(child: Int32, parent: Int32)
        case execed(Int32)
        case renamed(Int32)
        case uidChanged(Int32)
    }

    /// Takes an event in. Returns whether the process it is about holds protection from the agent and
    /// so must be decided now, whether or not a rule names it.
    @discardableResult
    public mutating func observe(_ event: Event) -> Bool {
        switch event {
        case .forked(let child, let parent): forked(child: child, parent: parent)
        case .execed(let pid): execed(pid)
        case .renamed(let pid): renamed(pid)
        case .uidChanged: break
        }
        return entries[event.pid]?.grant != nil
    }

    /// A new process `child` was forked by `parent`. Whatever had the child's pid before is gone, and the
    /// child inherits the parent's entry: the kernel copied its value and floor, and it runs the same
    /// code.
    public mutating func forked(child: Int32, parent: Int32) {
        guard var inherited = entries[parent] else { return set(nil, for: child) }
        inherited.startTime = nil
        inherited.sweep = currentSweep
        set(inherited, for: child)
    }

    /// The process exec'd: it runs a new program, judged afresh, but keeps the value (and floor) it had.
    public mutating func execed(_ pid: Int32) {
        guard var entry = entries[pid] else { return }
        entry.sticky = nil
        set(entry, for: pid)
    }

    /// The process renamed itself: no protection by name until it execs (for whatever it forks
    /// meanwhile too).
    public mutating func renamed(_ pid: Int32) {
        var entry = entries[pid] ?? Entry(sweep: currentSweep)
        if entry.sticky == nil { entry.sticky = .renamed }
        set(entry, for: pid)
    }

    /// The process is gone (or its pid belongs to another process now).
    public mutating func forget(_ pid: Int32) { set(nil, for: pid) }

    // MARK: Decisions

    /// What the agent decided for `pid`: the grant, refusal and start time it keeps from now on (an
    /// empty entry, or nil, for none).
    public mutating func record(_ decided: Entry?, for pid: Int32) {
        guard var entry = decided else { return set(nil, for: pid) }
        entry.sweep = entries[pid]?.sweep ?? currentSweep
        set(entry, for: pid)
    }

    // MARK: Sweeps

    /// A sweep meets every live process: those it does not meet are gone.
    public mutating func beginSweep() { currentSweep &+= 1 }

    public mutating func met(_ pid: Int32) { entries[pid]?.sweep = currentSweep }

    /// Drops the entries the sweep did not meet; returns how many.
    @discardableResult
    public mutating func endSweep() -> Int {
        let gone = entries.compactMap { $0.value.sweep == currentSweep ? nil : $0.key }
        for pid in gone { forget(pid) }
        schedule.checked(leaving: entries.count)
        return gone.count
    }

    /// The one place entries change, so the counts stay right. An empty entry is none.
    fileprivate mutating func set(_ entry: Entry?, for pid: Int32) {
        let stored = entry.flatMap { $0.isEmpty ? nil : $0 }
        let old: Entry?
        if let stored { old = entries.updateValue(stored, forKey: pid) } else { old = entries.removeValue(forKey: pid) }
        protectedCount += (stored?.grant != nil ? 1 : 0) - (old?.grant != nil ? 1 : 0)
    }
}

extension ProtectionLedger.Event {
    /// The process the event is about.
    public var pid: Int32 {
        switch self {
        case .forked(let child, _): return child
        case .execed(let pid), .renamed(let pid), .uidChanged(let pid): return pid
        }
    }
}
