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

/// The fields of `/proc/PID/stat` the OOM ranking needs. The comm, field 2, is in parentheses and may
/// hold spaces and parentheses itself, so fields are counted from the last `)`.
struct OOMStatFields {
    /// Field 2, between the first `(` and the last `)`: the same bytes as `comm`.
    let comm: Comm
    /// Field 9.
    let flags: UInt64
    /// Field 22: start time in clock ticks since boot.
    let startTicks: UInt64

    init(_ text: UnsafeRawBufferPointer) throws(Errno) {
        guard let open = text.firstIndex(of: UInt8(ascii: "(")), let close = text.lastIndex(of: UInt8(ascii: ")")), open < close
        else { throw Errno.illegalByteSequence }
        comm = Comm(text[(open + 1)..<close])
        var flags: UInt64?
        var startTicks: UInt64?
        var field = 3
        var value: UInt64 = 0
        var inField = false
        // Fields 3 (state, a letter) onwards, up to 22.
        for byte in text[(close + 1)...] {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") {
                if inField {
                    if field == 9 { flags = value } else if field == 22 { startTicks = value }
                    field += 1
                    if field > 22 { break }
                }
                inField = false
                value = 0
            } else {
                inField = true
                if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { value = value &* 10 &+ UInt64(byte - UInt8(ascii: "0")) }
            }
        }
        if inField, field == 22 { startTicks = value }
        guard let flags, let startTicks else { throw Errno.illegalByteSequence }
        self.flags = flags
        self.startTicks = startTicks
    }
}

/// The lines of `/proc/PID/status` the OOM ranking needs. Kernel threads and zombies have no Vm* lines.
struct OOMStatusFields {
    /// The real uid.
    var uid: UInt32?
    var residentKiB: Int?
    var swapKiB: Int?
    var pageTableKiB: Int?

    init(_ text: UnsafeRawBufferPointer) {
        var lineStart = 0
        while lineStart < text.count {
            var lineEnd = lineStart
            while lineEnd < text.count, text[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            let line = UnsafeRawBufferPointer(rebasing: text[lineStart..<lineEnd])
            if let value = Self.number(after: "Uid:", in: line) {
                uid = UInt32(exactly: value)
            } else if let value = Self.number(after: "VmRSS:", in: line) {
                residentKiB = value
            } else if let value = Self.number(after: "VmSwap:", in: line) {
                swapKiB = value
            } else if let value = Self.number(after: "VmPTE:", in: line) {
                pageTableKiB = value
            }
            lineStart = lineEnd + 1
        }
    }

    /// The first number after `key` when the line starts with it ("VmRSS:\t    1740 kB" → 1740).
    static func number(after key: StaticString, in line: UnsafeRawBufferPointer) -> Int? {
        let keyLength = key.utf8CodeUnitCount
        guard line.count > keyLength else { return nil }
        for index in 0..<keyLength where line[index] != key.utf8Start[index] { return nil }
        var index = keyLength
        while index < line.count, line[index] == UInt8(ascii: " ") || line[index] == UInt8(ascii: "\t") { index += 1 }
        var value = 0
        var digits = 0
        while index < line.count, line[index] >= UInt8(ascii: "0"), line[index] <= UInt8(ascii: "9"), digits < 18 {
            value = value * 10 + Int(line[index] - UInt8(ascii: "0"))
            digits += 1
            index += 1
        }
        return digits > 0 ? value : nil
    }
}
