/// What the matcher and the trust policy may ask about a process. The comm is always at hand;
/// everything else is read only when a rule needs it, so implementations read lazily and may cache.
public protocol ProcessFacts {
    var comm: Comm { get }
    /// The resolved `/proc/PID/exe`, with the kernel's ` (deleted)` suffix when the binary was replaced.
    mutating func executablePath() -> [UInt8]?
    /// Owner and mode of the executable (stat through `/proc/PID/exe`, so a replaced binary's own inode).
    mutating func executableFile() -> ExecutableFile?
    /// `/proc/PID/cmdline` as the kernel gives it: arguments each ended by NUL.
    mutating func rawCommandLine() -> [UInt8]?
    /// The real uid.
    mutating func realUID() -> UInt32?
    /// The cgroup v2 path (`0::PATH`), or else the v1 `name=systemd` path.
    mutating func cgroupPath() -> [UInt8]?
    /// The parent process's comm.
    mutating func parentComm() -> Comm?
    /// Whether the process is in the host's PID namespace, not a container's; nil when unreadable.
    /// (See `RuleMatch.otherPIDNamespace`: the kubelet/agent split.)
    mutating func inHostPIDNamespace() -> Bool?
}

extension ProcessFacts {
    /// Basename of the executable, without ` (deleted)`.
    public mutating func executableName() -> [UInt8]? { executablePath().map(basename) }

    /// Basename of argv[0]; nil when there is none (kernel threads, zombies).
    public mutating func argv0Name() -> [UInt8]? {
        guard let raw = rawCommandLine(), !raw.isEmpty else { return nil }
        let first = raw.firstIndex(of: 0) ?? raw.endIndex
        return first == 0 ? nil : basename(Array(raw[..<first]))
    }

    /// The arguments joined by single spaces, as `cmdline=` globs see them.
    public mutating func commandLine() -> [UInt8]? {
        guard var raw = rawCommandLine() else { return nil }
        while raw.last == 0 { raw.removeLast() }
        return raw.map { $0 == 0 ? UInt8(ascii: " ") : $0 }
    }
}

/// What the trust policy needs to know about an executable file.
public struct ExecutableFile: Hashable, Sendable {
    public let ownerUID: UInt32
    /// st_mode: type and permission bits.
    public let mode: UInt32

    public init(ownerUID: UInt32, mode: UInt32) {
        self.ownerUID = ownerUID
        self.mode = mode
    }

    public var isRegular: Bool { mode & 0o170000 == 0o100000 }
    public var isWritableByGroupOrOthers: Bool { mode & 0o022 != 0 }
    public var permissions: UInt32 { mode & 0o7777 }
}

/// Facts given up front, for tests.
public struct KnownProcessFacts: ProcessFacts, Sendable {
    public var comm: Comm
    public var executable: [UInt8]?
    public var file: ExecutableFile?
    /// NUL-terminated arguments, as /proc/PID/cmdline.
    public var commandLineBytes: [UInt8]?
    public var uid: UInt32?
    public var cgroup: [UInt8]?
    public var parent: Comm?
    /// A host process unless a test says otherwise.
    public var hostPIDNamespace: Bool?

    /// `arguments` is the whole command line; `argv0` alone is shorthand for a one-argument one.
    public init(
        comm: Comm, executable: [UInt8]? = nil, file: ExecutableFile? = nil, argv0: [UInt8]? = nil,
        arguments: [String]? = nil, uid: UInt32? = nil, cgroup: [UInt8]? = nil, parent: Comm? = nil,
        inHostPIDNamespace: Bool? = true
    ) {
        self.comm = comm
        self.executable = executable
        self.file = file
        commandLineBytes = arguments.map { $0.flatMap { Array($0.utf8) + [0] } } ?? argv0.map { $0 + [0] }
        self.uid = uid
        self.cgroup = cgroup
        self.parent = parent
        hostPIDNamespace = inHostPIDNamespace
    }

    public func executablePath() -> [UInt8]? { executable }
    public func executableFile() -> ExecutableFile? { file }
    public func rawCommandLine() -> [UInt8]? { commandLineBytes }
    public func realUID() -> UInt32? { uid }
    public func cgroupPath() -> [UInt8]? { cgroup }
    public func parentComm() -> Comm? { parent }
    public func inHostPIDNamespace() -> Bool? { hostPIDNamespace }
}

/// The part of a path after its last `/`, without a trailing ` (deleted)` that the kernel appends to the
/// `exe` link of a replaced binary.
public func basename(_ path: [UInt8]) -> [UInt8] {
    var end = path.endIndex
    if path.hasDeletedSuffix { end -= " (deleted)".utf8.count }
    var start = end
    while start > path.startIndex && path[start - 1] != UInt8(ascii: "/") { start -= 1 }
    return Array(path[start..<end])
}
