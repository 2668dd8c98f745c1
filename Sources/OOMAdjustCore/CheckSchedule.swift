/// When to look through a table of processes for the ones that are gone, for a table that hears of no
/// exits: each time it has doubled since the last look (so a look, which reads something of every
/// entry, costs O(1) per entry added), and not while it is small.
public struct CheckSchedule: Sendable, Equatable {
    /// Below this, a table is never due by its size alone.
    public static let smallest = 64
    private var countAtLastCheck = 0

    public init() {}

    public func isDue(_ count: Int) -> Bool { count >= max(Self.smallest, 2 * countAtLastCheck) }

    /// A look found `count` entries still alive.
    public mutating func checked(leaving count: Int) { countAtLastCheck = count }
}
