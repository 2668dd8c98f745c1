/// Decimal integers written as bytes: config values, kernel log fields and /proc files all parse
/// through here. Bytes, not Strings, so the event path parses without allocating.
public enum DecimalText {
    /// One or more decimal digits and nothing else; nil for anything else (empty included) and for a
    /// value past UInt64.max.
    @inlinable
    public static func unsigned<Bytes: Collection<UInt8>>(_ digits: Bytes) -> UInt64? {
        guard !digits.isEmpty else { return nil }
        var value: UInt64 = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times10, overflowed) = value.multipliedReportingOverflow(by: 10)
            let (sum, carried) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !overflowed, !carried else { return nil }
            value = sum
        }
        return value
    }

    /// An optional `-` or `+` and one or more decimal digits, nothing else. A magnitude past `limit`
    /// comes back as `limit` (negated for `-`): a caller that checks a range below it then reports the
    /// value as out of range, not as "not a number", and nothing overflows.
    @inlinable
    public static func integer<Bytes: Collection<UInt8>>(_ text: Bytes, saturatingAt limit: Int = .max) -> Int? {
        var digits = text[...]
        var negative = false
        if let first = digits.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty else { return nil }
        var value = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let digit = Int(byte - UInt8(ascii: "0"))
            // value * 10 + digit > limit, without computing it.
            value = value > (limit - digit) / 10 ? limit : value * 10 + digit
        }
        return negative ? -value : value
    }
}
