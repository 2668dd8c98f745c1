import CNetlink
import CLinuxSystem
import Glibc
import OOMAdjustCore
import SystemPackage

/// The `/proc` directory, held open so that each process directory is one `openat` away.
public final class ProcRoot {
    let descriptor: CInt
    /// getdents64 output, reused by every sweep.
    private let entries = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 8)
    /// The root directory executables are judged in: `/proc/1/root`, the host's. On the host it is the
    /// agent's own `/`, and in a container that shares the host's PID namespace it is still the host's,
    /// where the agent's own `/` is its image.
    private let hostRoot: CInt
    /// Why `/proc/1/root` could not be opened, when the agent's own `/` stands in for it.
    public let hostRootProblem: Errno?
    /// The inode of the host's PID namespace, read once: a process in another one is a container's.
    let hostPIDNamespace: UInt64

    public init(path: String = "/proc") throws(Errno) {
        let proc = try valueOrErrno { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }.get()
        descriptor = proc
        hostPIDNamespace = PIDNamespace.hostInode(procRoot: proc)
        switch valueOrErrno({ openat(proc, "1/root", CLinuxSystem_O_PATH | O_DIRECTORY | O_CLOEXEC) }) {
        case .success(let opened):
            hostRoot = opened
            hostRootProblem = nil
        case .failure(let error):
            // Reaching init's root takes ptrace access to it, which a sandbox (or a PID 1 with
            // capabilities the agent lacks) can deny; the agent's own root is the host's on a host.
            hostRootProblem = error
            hostRoot = (try? valueOrErrno { open("/", CLinuxSystem_O_PATH | O_DIRECTORY | O_CLOEXEC) }.get()) ?? -1
        }
    }

    deinit {
        closeDescriptor(descriptor)
        if hostRoot >= 0 { closeDescriptor(hostRoot) }
        entries.deallocate()
    }

    /// The file at an absolute `path` in the host's view of the file system, not the agent's and not
    /// any process's private mount namespace.
    public func hostFile(at path: [UInt8]) -> FileLookup {
        hostRoot >= 0 ? lookUp(path, under: hostRoot) : .unreadable
    }

    /// Whether some process (or zombie) has `pid` now: kill(pid, 0), which needs no /proc read.
    public func exists(_ pid: Int32) -> Bool {
        // EPERM: it exists, and belongs to someone this process may not signal.
        switch nothingOrErrno({ kill(pid, 0) }) {
        case .failure(.noSuchProcess): return false
        case .success, .failure: return true
        }
    }

    /// The symlink at an absolute `path` in the host's view (its own owner, and what it leads to); nil
    /// when there is no symlink there.
    public func hostSymlink(at path: [UInt8]) -> HostSymlink? {
        guard hostRoot >= 0, let slash = path.lastIndex(of: UInt8(ascii: "/")) else { return nil }
        guard case .success(let directory) = openInRoot(hostRoot, absolutePath: Array(path[..<slash]), flags: CLinuxSystem_O_PATH | O_DIRECTORY)
        else { return nil }
        defer { closeDescriptor(directory) }
        var link = stat()
        let name = Array(path[(slash + 1)...]).map { CChar(bitPattern: $0) } + [0]
        guard case .success = nothingOrErrno({ fstatat(directory, name, &link, AT_SYMLINK_NOFOLLOW) }), link.st_mode & S_IFMT == S_IFLNK,
            case .found(let target) = lookUp(path, under: hostRoot)
        else { return nil }
        return HostSymlink(ownerUID: link.st_uid, target: target)
    }

    /// The names of the directories just below an absolute `path` in the host's view.
    public func hostSubdirectories(of path: [UInt8]) -> [[UInt8]] {
        hostDirectoryEntries(of: path).compactMap { $0.isDirectory ? $0.name : nil }
    }

    /// The entries of the directory at an absolute `path` in the host's view, but `.` and `..`; none when
    /// it cannot be opened or listed.
    public func hostDirectoryEntries(of path: [UInt8]) -> [(name: [UInt8], isDirectory: Bool)] {
        guard hostRoot >= 0, case .success(let fd) = openInRoot(hostRoot, absolutePath: path, flags: O_RDONLY | O_DIRECTORY),
            let directory = try? DirectoryStream(adopting: fd), case .success(let entries) = directory.entries()
        else { return [] }
        return entries.map { ($0.name, $0.isDirectory) }
    }

    /// openat(proc, "PID/comm"): `/proc/PID/comm` by path, one open, no directory descriptor, for a first look at the name.
    /// The descriptor is bound to the process like any /proc file (see `ProcessFile`).
    public func openComm(of pid: Int32) throws(Errno) -> ProcessFile {
        try withUnsafeTemporaryAllocation(byteCount: 32, alignment: 8) { buffer throws(Errno) in
            let path = buffer.baseAddress!.assumingMemoryBound(to: CChar.self)
            formatDecimal(pid, into: path)
            var end = strlen(path)
            for byte in "/comm".utf8 {
                path[end] = CChar(bitPattern: byte)
                end += 1
            }
            path[end] = 0
            return try ProcessFile(openedAt: descriptor, path, flags: O_RDONLY)
        }
    }

    /// Calls `body` with the PID of every process listed in `/proc` now (the thread-group leaders;
    /// threads live under `/proc/PID/task`). Processes that start during the listing may or may not be
    /// seen; the proc connector covers those.
    public func forEachProcess(_ body: (Int32) -> Void) throws(Errno) {
        try nothingOrErrno { lseek(descriptor, 0, SEEK_SET) }.get()
        while true {
            let count = try valueOrErrno { Int(CLinuxSystem_getdents64(descriptor, entries.baseAddress!, entries.count)) }.get()
            if count == 0 { return }
            var offset = 0
            while offset < count {
                // struct linux_dirent64: u64 d_ino, s64 d_off, u16 d_reclen, u8 d_type, char d_name[]
                let recordLength = Int(entries.load(fromByteOffset: offset + 16, as: UInt16.self))
                guard recordLength > 0 else { break }
                if let pid = Self.pid(named: entries.baseAddress! + offset + 19) { body(pid) }
                offset += recordLength
            }
        }
    }

    /// The PID a `/proc` entry names, or nil for `self`, `sys` and the other non-process entries.
    static func pid(named name: UnsafeRawPointer) -> Int32? {
        let length = strlen(name.assumingMemoryBound(to: CChar.self))
        // Digits only: a sign is no part of a pid's name.
        guard length > 0, name.load(as: UInt8.self) != UInt8(ascii: "+"),
            let value = DecimalText.unsigned(UnsafeRawBufferPointer(start: name, count: length)),
            value > 0, value <= UInt64(Int32.max)
        else { return nil }
        return Int32(value)
    }
}
