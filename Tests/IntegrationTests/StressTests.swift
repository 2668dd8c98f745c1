import Foundation
import Testing

/// The tests that load the whole machine on purpose: exec and fork storms, socket overflows, floods of
/// processes, OOM kills. They are nested in this one serialized suite so that they never overlap each
/// other, and `scripts/test.sh` runs them after every other test, because a storm overflows every
/// agent's socket on the machine and would make the other tests' event-by-event checks flaky.
@Suite(.serialized)
enum StressTests {
    /// Multiplies storm sizes and repetitions: 1 in CI, more in `scripts/soak.sh`
    /// (OOM_ADJUST_STRESS_SCALE=N).
    static let scale = max(1, Int(ProcessInfo.processInfo.environment["OOM_ADJUST_STRESS_SCALE"] ?? "") ?? 1)

    /// Polls `condition` every millisecond until it holds; returns the seconds that took, or nil when
    /// `seconds` passed first. For reporting how fast something happened, never for asserting it.
    static func secondsUntil(seconds: Double, _ condition: () -> Bool) -> Double? {
        let start = monotonicSeconds()
        while true {
            if condition() { return monotonicSeconds() - start }
            if monotonicSeconds() - start > seconds { return nil }
            usleep(1000)
        }
    }

    static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// Makes the kernel hand out `pid` to the next process or thread created in this PID namespace
    /// (`/proc/sys/kernel/ns_last_pid`, root only). Anything else that forks first takes it instead, so
    /// callers check and retry.
    static func makeNextPID(_ pid: Int32) throws {
        try "\(pid - 1)".write(toFile: "/proc/sys/kernel/ns_last_pid", atomically: false, encoding: .utf8)
    }

    /// "min/median/max" of some measurements, in the unit given.
    static func summary(_ values: [Double], unit: String) -> String {
        guard !values.isEmpty else { return "none" }
        let sorted = values.sorted()
        func format(_ value: Double) -> String { String(format: "%.1f", value) }
        return "min \(format(sorted.first!)) / median \(format(sorted[sorted.count / 2])) / max \(format(sorted.last!)) \(unit) over \(values.count)"
    }

    /// The value of `key=` in a log line.
    static func field(_ key: String, in line: String) -> String? {
        line.split(separator: " ").first { $0.hasPrefix("\(key)=") }.map { String($0.dropFirst(key.count + 1)) }
    }
}
