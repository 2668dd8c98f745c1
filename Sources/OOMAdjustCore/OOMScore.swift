/// A value for `/proc/PID/oom_score_adj`: -1000 (never kill) … 1000 (kill first).
public struct OOMScore: Hashable, Comparable, Sendable, CustomStringConvertible {
    public static let range: ClosedRange<Int> = -1000...1000
    /// The legacy `/proc/PID/oom_adj` scale the old cron script wrote: -17 (never kill) … 15 (kill first).
    public static let legacyRange: ClosedRange<Int> = -17...15

    public let rawValue: Int16

    public init?(_ value: Int) {
        guard Self.range.contains(value) else { return nil }
        rawValue = Int16(value)
    }

    /// Converts an `oom_adj` value exactly as the kernel does when it is written to `/proc/PID/oom_adj`
    /// (fs/proc/base.c, oom_adj_write): 15 becomes 1000, anything else n * 1000 / 17, truncated toward zero.
    public init?(legacyOOMAdj value: Int) {
        guard Self.legacyRange.contains(value) else { return nil }
        rawValue = value == 15 ? 1000 : Int16(value * 1000 / 17)
    }

    /// Below 0 shields a process from the OOM killer; the kernel lets only CAP_SYS_RESOURCE go below a
    /// process's floor, which is why these writes can fail with EACCES.
    public var isProtective: Bool { rawValue < 0 }

    public var description: String { String(rawValue) }

    public static func < (lhs: OOMScore, rhs: OOMScore) -> Bool { lhs.rawValue < rhs.rawValue }
}
