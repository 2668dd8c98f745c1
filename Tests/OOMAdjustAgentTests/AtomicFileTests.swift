import Foundation
import Logging
import OOMAdjustAgent
import OOMAdjustLinux
import SystemPackage
import Testing

/// The metrics file's write path: a temporary file beside it, renamed over it; and the duties that
/// schedule it.
@Suite struct AtomicFileTests {
    static func scratchDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("oa-atomic-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func theTemporaryFileIsHiddenBesideTheTargetAndDoesNotEndInItsSuffix() {
        #expect(AtomicFile.temporaryPath(for: "/var/lib/node/oom.prom") == "/var/lib/node/.oom.prom.tmp")
        #expect(AtomicFile.temporaryPath(for: "oom.prom") == ".oom.prom.tmp")
        #expect(AtomicFile.temporaryPath(for: "/oom.prom") == "/.oom.prom.tmp")
    }

    @Test func replaceWritesTheWholeFileWithItsModeWhateverTheUmaskAndLeavesNothingBehind() throws {
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/m.prom"
        let previous = umask(0o077)
        defer { umask(previous) }
        try AtomicFile.replace(path: path, with: "first\n")
        try AtomicFile.replace(path: path, with: "second\n")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "second\n")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o644)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["m.prom"])
    }

    @Test func aStaleTemporaryFileOrSymlinkIsReplacedNotFollowed() throws {
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/m.prom"
        let victim = directory + "/victim"
        try "keep\n".write(toFile: victim, atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: AtomicFile.temporaryPath(for: path), withDestinationPath: victim)
        try AtomicFile.replace(path: path, with: "metrics\n")
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep\n")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "metrics\n")
    }

    @Test func aMissingDirectoryIsAnErrnoAndCreatesNothing() throws {
        #expect(throws: Errno.noSuchFileOrDirectory) {
            try AtomicFile.replace(path: "/nonexistent-oa-\(UInt32.random(in: 0...UInt32.max))/m.prom", with: "x")
        }
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
