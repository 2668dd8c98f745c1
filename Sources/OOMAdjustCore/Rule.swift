/// One line of the config: which processes, and the value they get.
public struct Rule: Sendable {
    public let name: NamePattern
    public let score: OOMScore
    /// The value as the administrator wrote it (`-17`, `score=-999`), for messages.
    public let valueSpelling: String
    public let location: SourceLocation

    public init(name: NamePattern, score: OOMScore, valueSpelling: String, location: SourceLocation) {
        self.name = name
        self.score = score
        self.valueSpelling = valueSpelling
        self.location = location
    }
}

/// How a rule's NAME is compared with a process.
public enum NamePattern: Sendable, Hashable, CustomStringConvertible {
    /// A name of at most 15 bytes: equal to the comm.
    case exact(Comm)
    /// A longer name: the kernel keeps only its first 15 bytes as the comm, so the comm must equal that
    /// prefix and the full name must be confirmed against the basename of the executable or of argv[0],
    /// as `pidof` does.
    case long(prefix: Comm, full: [UInt8])

    public init(name: [UInt8]) {
        if name.count <= Comm.maximumLength {
            self = .exact(Comm(name))
        } else {
            self = .long(prefix: Comm(name), full: name)
        }
    }

    public var description: String {
        switch self {
        case .exact(let comm): return comm.description
        case .long(_, let full): return String(decoding: full, as: UTF8.self)
        }
    }
}
