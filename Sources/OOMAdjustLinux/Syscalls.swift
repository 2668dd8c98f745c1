import Glibc
import SystemPackage

// Every libc call of this module goes through these, so EINTR and errno are handled in one place.

@inline(__always)
func valueOrErrno<I: FixedWidthInteger>(retryOnInterrupt: Bool = true, _ body: () -> I) -> Result<I, Errno> {
    while true {
        let value = body()
        if value != -1 { return .success(value) }
        let error = Errno(rawValue: errno)
        if retryOnInterrupt && error == .interrupted { continue }
        return .failure(error)
    }
}

@inline(__always)
func nothingOrErrno<I: FixedWidthInteger>(retryOnInterrupt: Bool = true, _ body: () -> I) -> Result<Void, Errno> {
    valueOrErrno(retryOnInterrupt: retryOnInterrupt, body).map { _ in () }
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

/// Parses an optionally signed decimal integer, ignoring trailing whitespace (how /proc files end).
func parseDecimal(_ bytes: UnsafeRawBufferPointer) -> Int? {
    var index = 0
    var negative = false
    if index < bytes.count && bytes[index] == UInt8(ascii: "-") {
        negative = true
        index += 1
    }
    var value = 0
    var sawDigit = false
    while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
        value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
        sawDigit = true
        index += 1
        if value > Int(Int32.max) { return nil }
    }
    guard sawDigit else { return nil }
    while index < bytes.count {
        guard bytes[index] == UInt8(ascii: "\n") || bytes[index] == UInt8(ascii: " ") else { return nil }
        index += 1
    }
    return negative ? -value : value
}

/// CLOCK_MONOTONIC in nanoseconds: the clock of the proc connector's `timestamp_ns` (ktime_get_ns).
public func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}
