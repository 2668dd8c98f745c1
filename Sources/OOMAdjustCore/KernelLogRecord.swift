/// One record as `/dev/kmsg` hands it out, one per read(2):
///
///     PRI,SEQ,USEC,FLAGS[,...];TEXT\n
///      KEY=VALUE\n            (optional dictionary lines, each starting with a space)
///
/// PRI is the syslog facility × 8 + level, SEQ the record's sequence number (a gap means records were
/// overwritten before they were read), USEC the time since boot on the kernel's printk clock, FLAGS `-`
/// or `c` (a continuation the kernel had not yet closed; `+` on kernels before 5.10). The kernel writes
/// every byte of TEXT below a space or above `~`, and the backslash itself, as `\xHH`, so decoding them
/// gives back the bytes that were logged: a process name with spaces, commas, parentheses, or any byte
/// at all.
public struct KernelLogRecord: Equatable, Sendable {
    public let facility: Int
    /// 0 (emergency) … 7 (debug).
    public let level: Int
    public let sequence: UInt64
    /// Microseconds since boot on the printk clock (which, like CLOCK_MONOTONIC, stops in suspend).
    public let microseconds: UInt64
    /// The FLAGS field: `-` for an ordinary record.
    public let flags: UInt8
    /// The message, `\xHH` escapes decoded.
    public let text: [UInt8]
    /// False when the record ended before its newline: the reader's buffer or the kernel cut it short.
    public let isComplete: Bool

    public init(facility: Int, level: Int, sequence: UInt64, microseconds: UInt64, flags: UInt8 = UInt8(ascii: "-"), text: [UInt8], isComplete: Bool = true) {
        self.facility = facility
        self.level = level
        self.sequence = sequence
        self.microseconds = microseconds
        self.flags = flags
        self.text = text
        self.isComplete = isComplete
    }

    /// Parses one record; nil when the bytes are not a record at all (no `;`, a prefix field that is not
    /// a number). Dictionary lines are skipped.
    public init?<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        let raw = Array(bytes)
        // The prefix is short; a `;` far in is not the end of one.
        guard let semicolon = raw.prefix(96).firstIndex(of: UInt8(ascii: ";")) else { return nil }
        let fields = raw[..<semicolon].split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
        guard fields.count >= 4,
            let priority = DecimalText.unsigned(fields[0]), let sequence = DecimalText.unsigned(fields[1]),
            let microseconds = DecimalText.unsigned(fields[2]), fields[3].count == 1
        else { return nil }
        let body = raw[(semicolon + 1)...]
        let newline = body.firstIndex(of: UInt8(ascii: "\n"))
        facility = Int(truncatingIfNeeded: priority >> 3)
        level = Int(truncatingIfNeeded: priority & 7)
        self.sequence = sequence
        self.microseconds = microseconds
        flags = fields[3].first!
        text = Self.unescaped(body[..<(newline ?? body.endIndex)])
        isComplete = newline != nil
    }

    /// The text as a string, invalid UTF-8 replaced: for messages, never for matching.
    public var string: String { String(decoding: text, as: UTF8.self) }

    /// `\xHH` → the byte; anything else, a lone backslash included, as it is.
    static func unescaped(_ escaped: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(escaped.count)
        var index = escaped.startIndex
        while index < escaped.endIndex {
            let byte = escaped[index]
            if byte == UInt8(ascii: "\\"), escaped.endIndex - index >= 4, escaped[index + 1] == UInt8(ascii: "x"),
                let high = hexValue(escaped[index + 2]), let low = hexValue(escaped[index + 3])
            {
                out.append(high << 4 | low)
                index += 4
            } else {
                out.append(byte)
                index += 1
            }
        }
        return out
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
