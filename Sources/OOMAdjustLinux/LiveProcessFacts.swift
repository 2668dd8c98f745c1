import CNetlink
import CLinuxSystem
import Glibc
import OOMAdjustCore

/// ProcessFacts read lazily from an open `/proc/PID` directory, which must outlive it. Each fact is read
/// at most once; a fact that cannot be read (the process exited, or hides it) is nil.
public struct LiveProcessFacts: ProcessFacts, ~Copyable {
    let directory: CInt
    let procRoot: ProcRoot
    public let comm: Comm
    private var executable: [UInt8]??
    private var file: ExecutableFile??
    private var commandLine: [UInt8]??
    private var uid: UInt32??
    private var cgroup: [UInt8]??
    private var parent: Comm??
    private var loader: LoaderEnvironment??
    private var stat: ProcessStat??
    private var hostPIDNamespace: Bool??

    /// The most of `/proc/PID/environ` read: a daemon's environment is a few KiB; a larger one is not
    /// read through (and so vouches for nothing).
    static let environmentLimit = 1 << 20
    /// The most of `/proc/PID/cmdline` read: room for a Java service's classpath. A longer command line
    /// counts as unreadable, never as a mismatch, so a rule is not silently passed over for its length.
    public static let commandLineLimit = 128 << 10
    /// The command line was longer than `commandLineLimit`.
    public private(set) var commandLineIsTooLong = false

    init(directory: CInt, procRoot: ProcRoot, comm: Comm) {
        self.directory = directory
        self.procRoot = procRoot
        self.comm = comm
    }

    public mutating func executablePath() -> [UInt8]? {
        if let cached = executable { return cached }
        let value = withUnsafeTemporaryAllocation(byteCount: Int(PATH_MAX), alignment: 1) { buffer -> [UInt8]? in
            let target = buffer.baseAddress!.assumingMemoryBound(to: CChar.self)
            guard case .success(let count) = valueOrErrno({ readlinkat(directory, "exe", target, buffer.count) }), count > 0
            else { return nil }
            return Array(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
        executable = .some(value)
        return value
    }

    public mutating func executableFile() -> ExecutableFile? {
        if let cached = file { return cached }
        var info = Glibc.stat()
        // Following the exe link reaches the inode the process runs, even when its path was replaced or
        // leads to another file in the agent's (or the host's) view.
        let value: ExecutableFile? =
            switch nothingOrErrno({ fstatat(directory, "exe", &info, 0) }) {
            case .success: ExecutableFile(info)
            case .failure: nil
            }
        file = .some(value)
        return value
    }

    public mutating func hostFile(at path: [UInt8]) -> FileLookup {
        procRoot.hostFile(at: path)
    }

    public mutating func hostSymlink(at path: [UInt8]) -> HostSymlink? { procRoot.hostSymlink(at: path) }

    public mutating func hostSubdirectories(of path: [UInt8]) -> [[UInt8]] { procRoot.hostSubdirectories(of: path) }

    public mutating func fileInProcessView(at path: [UInt8]) -> FileLookup {
        // The process's root as it sees it, in its own mount namespace: lookups from it cross that
        // namespace's mounts.
        guard case .success(let root) = valueOrErrno({ openat(directory, "root", CLinuxSystem_O_PATH | O_DIRECTORY | O_CLOEXEC) })
        else { return .unreadable }
        defer { closeDescriptor(root) }
        return lookUp(path, under: root)
    }

    public mutating func loaderEnvironment() -> LoaderEnvironment? {
        if let cached = loader { return cached }
        // Since Linux 4.18 the kernel reads another process's environ without faulting in file-backed
        // pages, so a process cannot stall this read with a mapping that never answers.
        let value: LoaderEnvironment?
        switch readFile(directory, "environ", limit: Self.environmentLimit) {
        case .success(let bytes): value = LoaderEnvironment(environ: bytes)
        case .failure: value = nil
        }
        loader = .some(value)
        return value
    }

    public mutating func rawCommandLine() -> [UInt8]? {
        if let cached = commandLine { return cached }
        let value: [UInt8]?
        switch readFile(directory, "cmdline", limit: Self.commandLineLimit) {
        case .success(let bytes): value = bytes
        case .failure(let failure):
            value = nil
            commandLineIsTooLong = failure == .longerThan(Self.commandLineLimit)
        }
        commandLine = .some(value)
        return value
    }

    public mutating func realUID() -> UInt32? {
        if let cached = uid { return cached }
        // "Uid:\t<real>\t<effective>\t<saved>\t<fs>"
        let value = (try? readFilePrefix(directory, "status", limit: 4096).get()).flatMap { status -> UInt32? in
            guard let line = field(in: status, after: Array("\nUid:".utf8)) else { return nil }
            return DecimalText.unsigned(line.prefix { $0 != UInt8(ascii: "\t") && $0 != UInt8(ascii: " ") }).flatMap(UInt32.init(exactly:))
        }
        uid = .some(value)
        return value
    }

    public mutating func cgroupPath() -> [UInt8]? {
        if let cached = cgroup { return cached }
        let value = (try? readFilePrefix(directory, "cgroup", limit: 8192).get()).flatMap { text -> [UInt8]? in
            let newline = Array("\n".utf8)
            let all = newline + text
            // The unified hierarchy's line is "0::PATH"; systemd's v1 tree is "N:name=systemd:PATH".
            return field(in: all, after: Array("\n0::".utf8)) ?? lineRest(in: all, containing: Array(":name=systemd:".utf8))
        }
        cgroup = .some(value)
        return value
    }

    public mutating func parentComm() -> Comm? {
        if let cached = parent { return cached }
        // The parent is read by PID: should it have exited and its PID been reused just now, this names
        // the newcomer. A qualifier, never the write, depends on it.
        let value = processStat().flatMap { stat -> Comm? in
            guard stat.parentPID > 0, let parentDirectory = try? ProcessDirectory(pid: stat.parentPID, in: procRoot) else { return nil }
            return try? parentDirectory.readComm()
        }
        parent = .some(value)
        return value
    }

    public mutating func inHostPIDNamespace() -> Bool? {
        if let cached = hostPIDNamespace { return cached }
        let value = PIDNamespace.inode(under: directory, "ns/pid").map { $0 == procRoot.hostPIDNamespace }
        hostPIDNamespace = .some(value)
        return value
    }

    /// `/proc/PID/stat`: parent, state, threads, start time.
    public mutating func processStat() -> ProcessStat? {
        if let cached = stat { return cached }
        let value = (try? readFilePrefix(directory, "stat", limit: 1024).get()).flatMap(ProcessStat.init)
        stat = .some(value)
        return value
    }
}

extension ExecutableFile {
    init(_ info: stat) {
        self.init(ownerUID: info.st_uid, mode: info.st_mode, device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }
}
