import Glibc
import OOMAdjustCore
import SystemPackage

/// One open file of a process under /proc (`comm`, `oom_score_adj`).
///
/// Like the `/proc/PID` directory, the descriptor stays bound to the process it was opened for: once
/// that process is gone, reads and writes fail with ESRCH instead of reaching whoever has its PID now.
/// Reads use pread at offset 0, so one descriptor can be read again, and written after a read.
public struct ProcessFile: ~Copyable {
    let descriptor: CInt

    init(openedAt directory: CInt, _ name: UnsafePointer<CChar>, flags: CInt) throws(Errno) {
        descriptor = try valueOrErrno { openat(directory, name, flags | O_CLOEXEC) }.get()
    }

    deinit { closeDescriptor(descriptor) }

    /// The whole content, as far as `buffer` holds it: these files are produced whole by one read.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try valueOrErrno { pread(descriptor, buffer.baseAddress!, buffer.count, 0) }.get()
    }

    /// pread(2) of `comm`: the main thread's name, at most 15 bytes. The kernel ends it with one newline, and
    /// only that one is not part of it: a name may hold newlines of its own.
    public func readComm() throws(Errno) -> Comm {
        try withUnsafeTemporaryAllocation(byteCount: 32, alignment: 8) { buffer throws(Errno) in
            var count = try read(into: buffer)
            if count > 0 && buffer[count - 1] == UInt8(ascii: "\n") { count -= 1 }
            return Comm(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
    }

    /// pread(2) of `oom_score_adj`; EILSEQ when its text is no value.
    public func readOOMScore() throws(Errno) -> OOMScore {
        try withUnsafeTemporaryAllocation(byteCount: 16, alignment: 8) { buffer throws(Errno) in
            let count = try read(into: buffer)
            guard let value = parseDecimal(UnsafeRawBufferPointer(rebasing: buffer[..<count])),
                let score = OOMScore(value)
            else { throw Errno.illegalByteSequence }
            return score
        }
    }

    /// write(2) to `oom_score_adj` opened writable. EACCES means the value is below the process's floor and this
    /// process lacks CAP_SYS_RESOURCE; ESRCH that the process is gone.
    public func writeOOMScore(_ score: OOMScore) throws(Errno) {
        try withUnsafeTemporaryAllocation(of: CChar.self, capacity: 16) { text throws(Errno) in
            formatDecimal(Int32(score.rawValue), into: text.baseAddress!)
            let length = strlen(text.baseAddress!)
            // The kernel parses the whole buffer of each write and ignores the file position.
            let written = try valueOrErrno { write(descriptor, text.baseAddress!, length) }.get()
            if written != length { throw Errno.ioError }
        }
    }
}
