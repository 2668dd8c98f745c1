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

    /// A well-mixed 64-bit hash of the name, cheaper than Hasher's SipHash: for the rule index's tables,
    /// which are built from the configuration, so a comm chosen by an attacker can only probe them.
    var mixedHash: UInt64 {
        // SplitMix64's finalizer over both words.
        var hash = low ^ (high &* 0x9E37_79B9_7F4A_7C15)
        hash = (hash ^ (hash >> 30)) &* 0xBF58_476D_1CE4_E5B9
        hash = (hash ^ (hash >> 27)) &* 0x94D0_49BB_1331_11EB
        return hash ^ (hash >> 31)
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

    /// The bytes are never NUL before the end (the initializer stops at the first), so the length is where
    /// the highest non-zero byte is.
    public var count: Int {
        high != 0 ? 16 - high.leadingZeroBitCount / 8 : 8 - low.leadingZeroBitCount / 8
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
