/// A process name as the kernel keeps it (`task->comm`): at most 15 bytes, NUL-padded to 16.
///
/// Stored inline as two words so that reading, comparing and hashing one on the event path never
/// allocates.
public struct Comm: Hashable, Sendable, CustomStringConvertible {
    /// TASK_COMM_LEN - 1: the kernel truncates longer names to this many bytes.
    public static let maximumLength = 15

    private var low: UInt64 = 0
    private var high: UInt64 = 0

    /// Takes bytes up to the first NUL, truncated to 15. Any other byte, a newline included, may be part
    /// of a name: the kernel keeps whatever prctl(PR_SET_NAME) was given.
    public init<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        var index = 0
        for byte in bytes {
            if byte == 0 || index == Self.maximumLength { break }
            if index < 8 {
                low |= UInt64(byte) << (8 * UInt64(index))
            } else {
                high |= UInt64(byte) << (8 * UInt64(index - 8))
            }
            index += 1
        }
    }

    public init(_ string: String) { self.init(string.utf8) }

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
