import Glibc
import OOMAdjustCore
import SystemPackage

extension ProcessDirectory {
    /// What the OOM killer weighs about this process, read from its `stat` (which also gives the comm,
    /// saving a read of `comm`), `status`, `oom_score_adj` and, with `readingScore`, `oom_score`
    /// through this directory.
    public func oomCandidate(readingScore: Bool = true) throws(Errno) -> OOMCandidate {
        try withUnsafeTemporaryAllocation(byteCount: 4096, alignment: 8) { buffer throws(Errno) in
            let stat = try OOMStatFields(UnsafeRawBufferPointer(rebasing: buffer[..<readOnce("stat", into: buffer)]))
            let comm = stat.comm
            let status = OOMStatusFields(UnsafeRawBufferPointer(rebasing: buffer[..<(try readOnce("status", into: buffer))]))
            let adjustment = try readOOMScore()
            let score = readingScore ? try? readOnce("oom_score", into: buffer) : nil
            return OOMCandidate(
                pid: pid, comm: comm, uid: status.uid, residentKiB: status.residentKiB ?? 0, swapKiB: status.swapKiB ?? 0,
                pageTableKiB: status.pageTableKiB ?? 0, hasMemory: status.residentKiB != nil,
                isKernelThread: stat.flags & Self.kernelThreadFlag != 0, oomScoreAdj: adjustment,
                oomScore: score.flatMap { parseDecimal(UnsafeRawBufferPointer(rebasing: buffer[..<$0])) },
                startTicks: stat.startTicks)
        }
    }

    /// The kernel's `/proc/PID/oom_score`; nil when it cannot be read.
    public func readKernelOOMScore() -> Int? {
        withUnsafeTemporaryAllocation(byteCount: 32, alignment: 8) { buffer in
            (try? readOnce("oom_score", into: buffer)).flatMap { parseDecimal(UnsafeRawBufferPointer(rebasing: buffer[..<$0])) }
        }
    }

    /// Reads up to buffer.count bytes of a file in this directory with a single read: these /proc files
    /// are produced whole by one read of a buffer this size, and the ranking reads ten thousand of them
    /// without allocating.
    func readOnce(_ name: UnsafePointer<CChar>, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        let fd = try valueOrErrno { openat(descriptor, name, O_RDONLY | O_CLOEXEC) }.get()
        defer { closeDescriptor(fd) }
        return try valueOrErrno { read(fd, buffer.baseAddress!, buffer.count) }.get()
    }

    /// PF_KTHREAD (include/linux/sched.h).
    static let kernelThreadFlag: UInt64 = 0x0020_0000
}
