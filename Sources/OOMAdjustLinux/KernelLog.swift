import Glibc
import OOMAdjustCore
import SystemPackage

/// The kernel log, `/dev/kmsg`, opened for reading without blocking: one record per read(2).
///
/// Reading needs CAP_SYSLOG where kernel.dmesg_restrict is 1 (Debian's default); otherwise open fails
/// with EPERM. Each reader has a position of its own: the oldest record still in the buffer after
/// open, or the end (`fromEnd`), so records logged before are never seen. When the kernel overwrites
/// records before this reader got to them, the next read fails once with EPIPE and the position moves
/// to the oldest record left.
public final class KernelLog {
    public let fileDescriptor: CInt
    /// CONSOLE_EXT_LOG_MAX: the kernel formats no record longer, and refuses a smaller buffer (EINVAL).
    static let recordBytes = 8192
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: KernelLog.recordBytes, alignment: 8)

    public static let defaultPath = "/dev/kmsg"

    /// open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC), then lseek(SEEK_END) when `fromEnd`.
    public init(path: String = KernelLog.defaultPath, fromEnd: Bool) throws(Errno) {
        fileDescriptor = try valueOrErrno { open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC) }.get()
        if fromEnd {
            do {
                try nothingOrErrno { lseek(fileDescriptor, 0, SEEK_END) }.get()
            } catch {
                closeDescriptor(fileDescriptor)
                buffer.deallocate()
                throw error
            }
        }
    }

    deinit {
        closeDescriptor(fileDescriptor)
        buffer.deallocate()
    }

    public enum Read: Equatable {
        /// The next record; nil when its bytes were not a record (which the kernel never writes).
        case record(KernelLogRecord?)
        /// Nothing new (EAGAIN): poll says when there is.
        case empty
        /// Records were overwritten before they were read (EPIPE); reading goes on with the oldest left.
        case overrun
    }

    /// read(2) of one record, never blocking.
    public func next() throws(Errno) -> Read {
        let result = valueOrErrno { read(fileDescriptor, buffer.baseAddress!, buffer.count) }
        switch result {
        case .success(let count):
            return .record(KernelLogRecord(UnsafeRawBufferPointer(rebasing: buffer[..<count])))
        case .failure(let error) where error == .resourceTemporarilyUnavailable:
            return .empty
        case .failure(let error) where error == .brokenPipe:
            return .overrun
        case .failure(let error):
            throw error
        }
    }
}

/// When a kernel log record was logged, as wall-clock time: its microseconds since boot against
/// CLOCK_MONOTONIC, which the printk clock follows (dmesg -T makes the same assumption, and it drifts
/// by as much as the machine was suspended).
public func realtimeNanoseconds(ofKernelLogMicroseconds microseconds: UInt64) -> UInt64 {
    let sinceRecord = monotonicNanoseconds().subtractingClamped(microseconds * 1000)
    return realtimeNanoseconds().subtractingClamped(sinceRecord)
}

extension UInt64 {
    func subtractingClamped(_ other: UInt64) -> UInt64 { self > other ? self - other : 0 }
}
