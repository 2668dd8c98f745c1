/// One line of the config: which processes, and the value they get.
public struct Rule: Sendable {
    public let name: NamePattern
    public let score: OOMScore
    /// The value as the administrator wrote it (`-17`, `score=-999`), for messages.
    public let valueSpelling: String
    public let qualifiers: [Qualifier]
    /// `trust=name`: the administrator opted this rule out of the trust policy.
    public let trustsName: Bool
    public let location: SourceLocation

    public init(
        name: NamePattern, score: OOMScore, valueSpelling: String, qualifiers: [Qualifier] = [],
        trustsName: Bool = false, location: SourceLocation
    ) {
        self.name = name
        self.score = score
        self.valueSpelling = valueSpelling
        self.qualifiers = qualifiers
        self.trustsName = trustsName
        self.location = location
    }

    /// What makes two rules the same rule: NAME and qualifiers, in any order.
    public var identity: String {
        // A user is compared by uid: `user=postgres` and `user=113` hold for the same processes.
        // trust=name is left out: it changes whether a match is honoured, not which processes match,
        // so a later rule differing only in it can never win either.
        let conditions = qualifiers.map { qualifier in
            if case .user(let uid, _) = qualifier { return "user=\(uid)" } else { return qualifier.description }
        }
        return ([name.description] + conditions.sorted()).joined(separator: " ")
    }

    /// The rule as it would be written, for messages: `sshd -17 exe=/usr/sbin/sshd`.
    public var spelling: String {
        ([name.description, valueSpelling] + qualifiers.map(\.description) + (trustsName ? ["trust=name"] : []))
            .joined(separator: " ")
    }

    /// An `exe=` qualifier vouches for the executable, so the policy's executable checks are skipped.
    public var namesExecutable: Bool { qualifiers.contains { if case .exe = $0 { return true } else { return false } } }
    /// A `user=` qualifier vouches for the account, so the policy's system-account check is skipped.
    public var namesUser: Bool { qualifiers.contains { if case .user = $0 { return true } else { return false } } }
}

/// How a rule's NAME (or a `parent=` value) is compared with a comm.
public enum NamePattern: Sendable, Hashable, CustomStringConvertible {
    /// A name of at most 15 bytes: equal to the comm.
    case exact(Comm)
    /// A longer name: the kernel keeps only its first 15 bytes as the comm, so the comm must equal that
    /// prefix and the full name must be confirmed against the basename of the executable or of argv[0],
    /// as `pidof` does.
    case long(prefix: Comm, full: [UInt8])
    /// `*`, `?`, `[...]`: fnmatch against the comm.
    case glob(Glob)

    /// A plain name; globs are made with `.glob(try Glob(text))`.
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
        case .glob(let glob): return glob.description
        }
    }
}

/// A condition after the value: `KEY=VALUE`. All of a rule's qualifiers must hold.
public enum Qualifier: Sendable, Hashable, CustomStringConvertible {
    /// `exe=PATH`: the resolved /proc/PID/exe. An exact path never matches a deleted or replaced
    /// binary (the kernel appends ` (deleted)`).
    case exe(PathPattern)
    /// `user=NAME|UID`: the real uid, resolved when the config is loaded.
    case user(uid: UInt32, spelling: String)
    /// `cmdline=GLOB`: the arguments joined by single spaces.
    case cmdline(Glob)
    /// `cgroup=GLOB`: the cgroup v2 path, or the v1 name=systemd path; `*` stays within a component and a
    /// trailing `/**` matches a whole subtree.
    case cgroup(CgroupPattern)
    /// `parent=NAME`: the parent's comm.
    case parent(NamePattern)

    public var key: String {
        switch self {
        case .exe: return "exe"
        case .user: return "user"
        case .cmdline: return "cmdline"
        case .cgroup: return "cgroup"
        case .parent: return "parent"
        }
    }

    public var valueDescription: String {
        switch self {
        case .exe(let path): return path.description
        case .user(_, let spelling): return spelling
        case .cmdline(let glob): return glob.description
        case .cgroup(let pattern): return pattern.description
        case .parent(let name): return name.description
        }
    }

    public var description: String {
        let value = valueDescription
        return value.contains(" ") ? "\(key)=\"\(value)\"" : "\(key)=\(value)"
    }
}

/// An `exe=` value: an exact path, or a glob in which `*` does not cross `/`.
public enum PathPattern: Sendable, Hashable, CustomStringConvertible {
    case exact([UInt8])
    case glob(Glob)

    public func matches(_ path: [UInt8]) -> Bool {
        switch self {
        // Even spelled with the suffix: the kernel's mark says the file at that path is no longer this one.
        case .exact(let expected): return !path.hasDeletedSuffix && path == expected
        case .glob(let glob): return !path.hasDeletedSuffix && glob.matches(path)
        }
    }

    public var description: String {
        switch self {
        case .exact(let path): return String(decoding: path, as: UTF8.self)
        case .glob(let glob): return glob.description
        }
    }
}
