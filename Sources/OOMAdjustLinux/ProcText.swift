import Glibc
import OOMAdjustCore
import SystemPackage

// Taking apart the text of /proc files: pure functions of bytes, tested without root.

// MARK: Numbers

/// Parses an optionally signed decimal integer that fits an Int32, ignoring the trailing newline and
/// spaces /proc files end with.
func parseDecimal(_ bytes: UnsafeRawBufferPointer) -> Int? {
    var end = bytes.count
    while end > 0, bytes[end - 1] == UInt8(ascii: "\n") || bytes[end - 1] == UInt8(ascii: " ") { end -= 1 }
    let limit = Int(Int32.max) + 1
    guard let value = DecimalText.integer(bytes[..<end], saturatingAt: limit), value.magnitude < limit.magnitude else { return nil }
    return value
}

/// Writes the decimal digits of `value` and a NUL into `buffer` (at least 12 bytes); no allocation.
@inline(__always)
func formatDecimal(_ value: Int32, into buffer: UnsafeMutablePointer<CChar>) {
    var digits: (CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var magnitude = value.magnitude
    var count = 0
    withUnsafeMutableBytes(of: &digits) { raw in
        repeat {
            raw[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
            magnitude /= 10
            count += 1
        } while magnitude > 0
        var out = 0
        if value < 0 {
            buffer[0] = CChar(UInt8(ascii: "-"))
            out = 1
        }
        for i in stride(from: count - 1, through: 0, by: -1) {
            buffer[out] = CChar(bitPattern: raw[i])
            out += 1
        }
        buffer[out] = 0
    }
}

// MARK: Lines and fields

/// The rest of the line after the first occurrence of `marker`, with leading tabs and spaces dropped.
func field(in text: [UInt8], after marker: [UInt8]) -> [UInt8]? {
    guard let start = firstIndex(of: marker, in: text) else { return nil }
    var index = start + marker.count
    while index < text.count && (text[index] == UInt8(ascii: "\t") || text[index] == UInt8(ascii: " ")) { index += 1 }
    let end = text[index...].firstIndex(of: UInt8(ascii: "\n")) ?? text.endIndex
    return Array(text[index..<end])
}

/// The rest of the line after `marker`, for a marker found anywhere in a line.
func lineRest(in text: [UInt8], containing marker: [UInt8]) -> [UInt8]? {
    guard let start = firstIndex(of: marker, in: text) else { return nil }
    let index = start + marker.count
    let end = text[index...].firstIndex(of: UInt8(ascii: "\n")) ?? text.endIndex
    return Array(text[index..<end])
}

func firstIndex(of marker: [UInt8], in text: [UInt8]) -> Int? {
    guard marker.count <= text.count else { return nil }
    for start in 0...(text.count - marker.count) where text[start] == marker[0] {
        if text[start..<(start + marker.count)].elementsEqual(marker) { return start }
    }
    return nil
}

/// The fields of `/proc/PID/stat` the agent uses.
public struct ProcessStat: Equatable, Sendable {
    /// R, S, D, Z (zombie), X (dead), ...
    public let state: UInt8
    public let parentPID: Int32
    /// Live threads: a zombie main thread whose other threads still run counts them.
    public let threads: Int
    /// Clock ticks since boot at which the process started: with the pid, it names one process.
    public let startTime: UInt64

    /// "PID (COMM) STATE PPID ... NUM_THREADS ... STARTTIME ...". COMM may hold spaces and parentheses,
    /// so the fields are counted from the last `)`.
    public init?(_ text: [UInt8]) {
        guard let close = text.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = text[(close + 1)...].split(separator: UInt8(ascii: " "))
        // Field 3 (state) is fields[0]: ppid is field 4, num_threads field 20, starttime field 22.
        guard fields.count > 19, let state = fields[0].first,
            let parent = DecimalText.integer(fields[1]).flatMap(Int32.init(exactly:)),
            let threads = DecimalText.integer(fields[17]),
            let start = DecimalText.unsigned(fields[19])
        else { return nil }
        self.state = state
        parentPID = parent
        self.threads = threads
        startTime = start
    }

    /// Whether the process is finished: a zombie (or dead) with no thread left running. A main thread
    /// that exited before the others is a zombie too, but its process lives on.
    public var isFinished: Bool {
        (state == UInt8(ascii: "Z") || state == UInt8(ascii: "X")) && threads <= 1
    }
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
        var end = index
        while end < line.count, line[end] >= UInt8(ascii: "0"), line[end] <= UInt8(ascii: "9") { end += 1 }
        return DecimalText.unsigned(line[index..<end]).flatMap(Int.init(exactly:))
    }
}
