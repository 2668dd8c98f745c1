import Foundation
import Logging
import OOMAdjustAgent
import OOMAdjustLinux
import Testing

/// The duties that schedule the metrics file (written with AtomicFile) and bound the loop's sleep.
@Suite struct ServiceDutiesTests {
    static func scratchDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("oa-duties-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func theDutiesWriteTheMetricsAtReadyAndAgainWhenTheIntervalHasPassed() throws {
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/m.prom"
        let duties = ServiceDuties(
            notifier: nil, watchdogMicroseconds: 1_000_000,
            metricsFile: .init(path: path, intervalNanoseconds: 10_000_000_000), logger: Logger(label: "test"))
        // Before ready the loop may sleep without limit (the start-up sweep has not even run).
        #expect(duties.timeoutMilliseconds(now: 0) == -1)
        var counters = Counters()
        counters[.sweeps] = 1
        duties.ready(counters, rules: 3, now: 1_000_000_000)
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("oom_adjust_rules 3\n"))
        // No notifier: the watchdog interval is ignored, only the metrics deadline counts.
        #expect(duties.timeoutMilliseconds(now: 1_000_000_000) == 10_000)
        #expect(duties.timeoutMilliseconds(now: 10_999_999_999) == 1)
        counters[.adjusted] = 4
        duties.tick(counters, rules: 3, now: 5_000_000_000)
        #expect(!(try String(contentsOfFile: path, encoding: .utf8).contains("outcome=\"adjusted\"} 4")))
        duties.tick(counters, rules: 3, now: 11_000_000_000)
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("outcome=\"adjusted\"} 4"))
        #expect(duties.timeoutMilliseconds(now: 11_000_000_000) == 10_000)
    }

    @Test func withNothingToDoTheLoopSleepsUntilAnEvent() {
        let duties = ServiceDuties(notifier: nil, watchdogMicroseconds: nil, metricsFile: nil, logger: Logger(label: "test"))
        duties.ready(Counters(), rules: 0, now: 5)
        #expect(duties.timeoutMilliseconds(now: 5) == -1)
    }
}
