/// A process name as the kernel keeps it (`task->comm`): at most 15 bytes, NUL-padded to 16.
///
/// Stored inline as two words so that reading, comparing and hashing one on the event path never
/// allocates.
public struct Comm: Hashable, Sendable, CustomStringConvertible {
    /// TASK_COMM_LEN - 1: the kernel truncates longer names to this many bytes.
    public static let maximumLength = 15

    private var low: UInt64 = 0
    private var high: UInt64 = 0

    /// Takes bytes up to the first NUL or newline (how `/proc/PID/comm` ends), truncated to 15.
    public init<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        var index = 0
        for byte in bytes {
            if byte == 0 || byte == UInt8(ascii: "\n") || index == Self.maximumLength { break }
            if index < 8 {
                low |= UInt64(byte) << (8 * UInt64(index))
            } else {
                high |= UInt64(byte) << (8 * UInt64(index - 8))
            }
            index += 1
        }
    }

    public init(_ string: String) { self.init(string.utf8) }

    private init(low: UInt64, high: UInt64) {
        self.low = low
        self.high = high
    }

    /// The first `length` bytes (the whole name when it is shorter): how the rule index looks up the
    /// literal prefixes of globs, as one hash of two words.
    public func prefix(_ length: Int) -> Comm {
        func mask(_ bytes: Int) -> UInt64 { bytes >= 8 ? ~0 : (1 << (8 * UInt64(max(bytes, 0)))) - 1 }
        return Comm(low: low & mask(length), high: high & mask(length - 8))
    }

    /// The bytes in reverse order, so that a suffix of the name is a prefix of this.
    public var reversed: Comm {
        var result = Comm(low: 0, high: 0)
        let length = count
        for index in 0..<length {
            let byte = UInt64(self[length - 1 - index])
            if index < 8 { result.low |= byte << (8 * UInt64(index)) } else { result.high |= byte << (8 * UInt64(index - 8)) }
        }
        return result
    }

    public var count: Int {
        var n = 0
        while n < Self.maximumLength && self[n] != 0 { n += 1 }
        return n
    }

    public subscript(index: Int) -> UInt8 {
        index < 8 ? UInt8(truncatingIfNeeded: low >> (8 * UInt64(index)))
            : UInt8(truncatingIfNeeded: high >> (8 * UInt64(index - 8)))
    }

    public var bytes: [UInt8] { (0..<count).map { self[$0] } }

    /// Calls `body` with the name as a NUL-terminated C string, without allocating.
    public func withCString<R>(_ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        var copy = self
        return try withUnsafeBytes(of: &copy) { raw in
            try body(raw.baseAddress!.assumingMemoryBound(to: CChar.self))
        }
    }

    public var description: String { String(decoding: bytes, as: UTF8.self) }
}
