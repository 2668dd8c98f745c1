import Glibc

/// CLOCK_REALTIME in nanoseconds since the epoch: for reports to people and to Prometheus, never for
/// deadlines (those use `monotonicNanoseconds`).
public func realtimeNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// A wall-clock time as `HH:MM:SS ZONE` in the machine's local time zone, the form `systemctl status`
/// readers compare with the journal.
public func localClockTime(unixNanoseconds: UInt64) -> String {
    localTime(unixNanoseconds: unixNanoseconds, format: "%H:%M:%S %Z")
}

/// A wall-clock time as `YYYY-MM-DD HH:MM:SS ZONE` in the local time zone, for events that may be days old.
public func localDateTime(unixNanoseconds: UInt64) -> String {
    localTime(unixNanoseconds: unixNanoseconds, format: "%Y-%m-%d %H:%M:%S %Z")
}

/// localtime_r + strftime(3) of whole seconds.
private func localTime(unixNanoseconds: UInt64, format: String) -> String {
    var seconds = time_t(unixNanoseconds / 1_000_000_000)
    var parts = tm()
    localtime_r(&seconds, &parts)
    var buffer = [CChar](repeating: 0, count: 64)
    let count = strftime(&buffer, buffer.count, format, &parts)
    return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
