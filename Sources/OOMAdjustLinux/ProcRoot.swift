import CNetlink
import Glibc
import OOMAdjustCore
import SystemPackage

/// The `/proc` directory, held open so that each process directory is one `openat` away.
public final class ProcRoot {
    let descriptor: CInt
    /// getdents64 output, reused by every sweep.
    private let entries = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 8)

    public init(path: String = "/proc") throws(Errno) {
        descriptor = try valueOrErrno { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }.get()
    }

    deinit {
        close(descriptor)
        entries.deallocate()
    }

    /// Opens `/proc/PID/comm` by path: one open, no directory descriptor, for a first look at the name.
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
            let count = try valueOrErrno { Int(CNetlink_getdents64(descriptor, entries.baseAddress!, entries.count)) }.get()
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
        var value: Int32 = 0
        var index = 0
        while true {
            let byte = name.load(fromByteOffset: index, as: UInt8.self)
            if byte == 0 { break }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), index < 10 else { return nil }
            value = value &* 10 &+ Int32(byte - UInt8(ascii: "0"))
            index += 1
        }
        return index > 0 && value > 0 ? value : nil
    }
}
