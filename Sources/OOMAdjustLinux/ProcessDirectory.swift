import CNetlink
import CLinuxSystem
import Glibc
import OOMAdjustCore
import SystemPackage

/// An open `/proc/PID` directory.
///
/// Every read and write goes through `openat` on this descriptor. The descriptor stays bound to the
/// process it was opened for: if that process exits and its PID is reused, calls fail with ESRCH or
/// ENOENT instead of reaching the newcomer, so a value decided for one process can never land on another.
public struct ProcessDirectory: ~Copyable {
    public let pid: Int32
    let descriptor: CInt

    /// openat(procRoot, "PID", CLinuxSystem_O_PATH | O_DIRECTORY | O_CLOEXEC).
    public init(pid: Int32, in procRoot: ProcRoot) throws(Errno) {
        try self.init(pid: pid, inDescriptor: procRoot.descriptor)
    }

    init(pid: Int32, inDescriptor procRoot: CInt) throws(Errno) {
        self.pid = pid
        let result = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 16) { name in
            formatDecimal(pid, into: name.baseAddress!)
            return valueOrErrno { openat(procRoot, name.baseAddress!, CLinuxSystem_O_PATH | O_DIRECTORY | O_CLOEXEC) }
        }
        descriptor = try result.get()
    }

    deinit { closeDescriptor(descriptor) }

    /// Reads `comm` (what `ps -o comm` shows: the main thread's name, at most 15 bytes).
    public func readComm() throws(Errno) -> Comm {
        try ProcessFile(openedAt: descriptor, "comm", flags: O_RDONLY).readComm()
    }

    /// openat(directory, "oom_score_adj"), for reading, or for reading and then writing through the same descriptor.
    public func openOOMScore(writable: Bool) throws(Errno) -> ProcessFile {
        try ProcessFile(openedAt: descriptor, "oom_score_adj", flags: writable ? O_RDWR : O_RDONLY)
    }

    /// Reads `oom_score_adj`.
    public func readOOMScore() throws(Errno) -> OOMScore {
        try openOOMScore(writable: false).readOOMScore()
    }

    /// Writes `oom_score_adj` (see `ProcessFile.writeOOMScore` for what its errors mean).
    public func writeOOMScore(_ score: OOMScore) throws(Errno) {
        try openOOMScore(writable: true).writeOOMScore(score)
    }

    /// Calls `body` with the facts the matcher may ask for, read from this directory on demand. The
    /// facts hold this directory's descriptor: lent to `body` while this directory is borrowed, they
    /// cannot outlive it (LiveProcessFacts is noncopyable and made nowhere else).
    public borrowing func withFacts<Result, Failure: Error>(
        comm: Comm, procRoot: ProcRoot, _ body: (inout LiveProcessFacts) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        var facts = LiveProcessFacts(directory: descriptor, procRoot: procRoot, comm: comm)
        return try body(&facts)
    }
}
