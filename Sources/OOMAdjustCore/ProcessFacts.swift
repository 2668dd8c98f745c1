/// What the matcher and the trust policy may ask about a process. The comm is always at hand;
/// everything else is read only when a rule needs it, so implementations read lazily and may cache.
public protocol ProcessFacts: ~Copyable {
    var comm: Comm { get }
    /// The resolved `/proc/PID/exe`, with the kernel's ` (deleted)` suffix when the binary was replaced.
    mutating func executablePath() -> [UInt8]?
    /// Owner, mode and identity of the executable (stat through `/proc/PID/exe`, so a replaced binary's
    /// own inode, and the file really running even when the path leads elsewhere in the host's view).
    mutating func executableFile() -> ExecutableFile?
    /// The file at an absolute `path` in the host's view of the file system (resolved under
    /// `/proc/1/root`, not the process's own mount namespace or the agent's).
    mutating func hostFile(at path: [UInt8]) -> FileLookup
    /// The symbolic link at an absolute `path` in the host's view: who owns the link itself, and the file
    /// it leads to. nil when there is no symlink there.
    mutating func hostSymlink(at path: [UInt8]) -> HostSymlink?
    /// The names of the directories just below `path` in the host's view.
    mutating func hostSubdirectories(of path: [UInt8]) -> [[UInt8]]
    /// The file at an absolute `path` in the process's own view (resolved under `/proc/PID/root`), for
    /// the directories its dynamic loader searches.
    mutating func fileInProcessView(at path: [UInt8]) -> FileLookup
    /// What the process's environment asks of the dynamic loader; nil when it cannot be read whole.
    mutating func loaderEnvironment() -> LoaderEnvironment?
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

extension ProcessFacts where Self: ~Copyable {
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

/// What the trust policy needs to know about a file: who owns it, its mode, and which inode it is.
public struct ExecutableFile: Hashable, Sendable {
    public let ownerUID: UInt32
    /// st_mode: type and permission bits.
    public let mode: UInt32
    /// st_dev and st_ino: two paths name the same file exactly when both agree.
    public let device: UInt64
    public let inode: UInt64

    public init(ownerUID: UInt32, mode: UInt32, device: UInt64 = 0, inode: UInt64 = 0) {
        self.ownerUID = ownerUID
        self.mode = mode
        self.device = device
        self.inode = inode
    }

    public var isRegular: Bool { mode & 0o170000 == 0o100000 }
    public var isDirectory: Bool { mode & 0o170000 == 0o040000 }
    public var isWritableByGroupOrOthers: Bool { mode & 0o022 != 0 }
    public var permissions: UInt32 { mode & 0o7777 }

    /// Whether `other` is the same file (device and inode), whatever path either was reached by.
    public func isSameFile(as other: ExecutableFile) -> Bool { device == other.device && inode == other.inode }
}

/// A symbolic link as the trust policy sees it.
public struct HostSymlink: Hashable, Sendable {
    /// The link's own owner (lstat): whoever owns it chose where it leads.
    public let ownerUID: UInt32
    /// What it resolves to, following every link (stat).
    public let target: ExecutableFile

    public init(ownerUID: UInt32, target: ExecutableFile) {
        self.ownerUID = ownerUID
        self.target = target
    }
}

/// The result of looking a path up.
public enum FileLookup: Hashable, Sendable {
    case found(ExecutableFile)
    /// Nothing is at that path.
    case missing
    /// The lookup failed for another reason (permissions, a kernel without the interface).
    case unreadable
}

/// Facts given up front, for tests.
public struct KnownProcessFacts: ProcessFacts, Sendable {
    public var comm: Comm
    public var executable: [UInt8]?
    public var file: ExecutableFile?
    /// Files in the host's view by path. nil: the host sees `executable` as `file` itself, and nothing
    /// else (a process run straight from the host's file system).
    public var hostFiles: [[UInt8]: ExecutableFile]?
    /// Files in the process's own view by path (the loader's directories); absent paths are missing.
    public var processFiles: [[UInt8]: ExecutableFile] = [:]
    /// Symlinks in the host's view by path, and the directories below each directory.
    public var hostSymlinks: [[UInt8]: HostSymlink] = [:]
    public var hostDirectories: [[UInt8]: [[UInt8]]] = [:]
    public var loader: LoaderEnvironment?
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
        loader: LoaderEnvironment? = LoaderEnvironment(), inHostPIDNamespace: Bool? = true
    ) {
        self.comm = comm
        self.executable = executable
        self.file = file
        commandLineBytes = arguments.map { $0.flatMap { Array($0.utf8) + [0] } } ?? argv0.map { $0 + [0] }
        self.uid = uid
        self.cgroup = cgroup
        self.parent = parent
        self.loader = loader
        hostPIDNamespace = inHostPIDNamespace
    }

    public func executablePath() -> [UInt8]? { executable }
    public func executableFile() -> ExecutableFile? { file }
    public func hostFile(at path: [UInt8]) -> FileLookup {
        if let hostFiles { return hostFiles[path].map(FileLookup.found) ?? .missing }
        guard let executable, path == executable, let file else { return .missing }
        return .found(file)
    }
    public func fileInProcessView(at path: [UInt8]) -> FileLookup { processFiles[path].map(FileLookup.found) ?? .missing }
    public func hostSymlink(at path: [UInt8]) -> HostSymlink? { hostSymlinks[path] }
    public func hostSubdirectories(of path: [UInt8]) -> [[UInt8]] { hostDirectories[path] ?? [] }
    public func loaderEnvironment() -> LoaderEnvironment? { loader }
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
    if path.hasDeletedSuffix { end -= deletedSuffix.count }
    var start = end
    while start > path.startIndex && path[start - 1] != UInt8(ascii: "/") { start -= 1 }
    return Array(path[start..<end])
}

/// What the kernel appends to the `exe` link of a binary that was deleted or replaced since exec.
let deletedSuffix = Array(" (deleted)".utf8)

extension Array where Element == UInt8 {
    /// The kernel's mark on the `exe` link of a binary that was deleted or replaced since exec.
    public var hasDeletedSuffix: Bool { count >= deletedSuffix.count && self[(count - deletedSuffix.count)...].elementsEqual(deletedSuffix) }

    /// The path without the kernel's ` (deleted)` mark.
    public var withoutDeletedSuffix: [UInt8] { hasDeletedSuffix ? Array(self[..<(count - deletedSuffix.count)]) : self }
}
