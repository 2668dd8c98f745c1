/// What the matcher may ask about a process. The comm is always at hand; everything else is read only
/// when a rule needs it, so implementations read lazily and may cache.
public protocol ProcessFacts {
    var comm: Comm { get }
    /// Basename of the resolved `/proc/PID/exe`, without a ` (deleted)` suffix; nil when unreadable.
    mutating func executableName() -> [UInt8]?
    /// Basename of argv[0]; nil when unreadable or empty (kernel threads, zombies).
    mutating func argv0Name() -> [UInt8]?
}

/// Facts given up front, for tests and for `explain`-style tools.
public struct KnownProcessFacts: ProcessFacts, Sendable {
    public var comm: Comm
    public var executable: [UInt8]?
    public var argv0: [UInt8]?

    public init(comm: Comm, executable: [UInt8]? = nil, argv0: [UInt8]? = nil) {
        self.comm = comm
        self.executable = executable
        self.argv0 = argv0
    }

    public func executableName() -> [UInt8]? { executable.map(basename) }
    public func argv0Name() -> [UInt8]? { argv0.map(basename) }
}

/// The part of a path after its last `/`, without a trailing ` (deleted)` that the kernel appends to the
/// `exe` link of a replaced binary.
public func basename(_ path: [UInt8]) -> [UInt8] {
    var end = path.endIndex
    let deleted = Array(" (deleted)".utf8)
    if path.count >= deleted.count && Array(path[(path.count - deleted.count)...]) == deleted {
        end -= deleted.count
    }
    var start = end
    while start > path.startIndex && path[start - 1] != UInt8(ascii: "/") { start -= 1 }
    return Array(path[start..<end])
}
