import Foundation
import Logging
@testable import OOMAdjustAgent
import OOMAdjustCore
import OOMAdjustLinux
import Testing

/// The agent's kill reports: its decisions in, the kernel's report in, one log line and the counters out.
/// The records are given directly (the kernel log itself is read in the integration tests); the
/// protected case, which this machine cannot produce for real (no CAP_SYS_RESOURCE), is covered here.
@Suite struct KillWatchTests {
    /// Keeps every record logged through it.
    final class CapturedLog: @unchecked Sendable {
        struct Entry {
            let level: Logger.Level
            let message: String
            let metadata: [String: String]
        }

        private let lock = NSLock()
        private var stored: [Entry] = []

        var entries: [Entry] {
            lock.lock()
            defer { lock.unlock() }
            return stored
        }

        func append(_ entry: Entry) {
            lock.lock()
            stored.append(entry)
            lock.unlock()
        }

        var logger: Logger {
            Logger(label: "test") { _ in Handler(log: self) }
        }

        struct Handler: LogHandler {
            let log: CapturedLog
            var logLevel: Logger.Level = .trace
            var metadata: Logger.Metadata = [:]
            subscript(metadataKey key: String) -> Logger.Metadata.Value? {
                get { metadata[key] }
                set { metadata[key] = newValue }
            }
            func log(event: LogEvent) {
                log.append(Entry(level: event.level, message: event.message.description, metadata: (event.metadata ?? [:]).mapValues { "\($0)" }))
            }
        }
    }

    static let rules = RuleSet([
        Rule(name: NamePattern(name: Array("db".utf8)), score: OOMScore(-500)!, valueSpelling: "score=-500", location: SourceLocation(path: "/etc/oom_adjust.conf", line: 2)),
        Rule(name: NamePattern(name: Array("batch job".utf8)), score: OOMScore(900)!, valueSpelling: "score=900", location: SourceLocation(path: "/etc/oom_adjust.conf", line: 5)),
    ])

    /// A memory-cgroup report in the 6.12 layout whose victim is `pid` (`comm`, value `adj`), beside a
    /// batch job (pid 300) and an unkillable sshd (pid 301).
    static func report(pid: Int32, comm: String, adj: Int, firstSequence: UInt64 = 100) -> [KernelLogRecord] {
        let lines = [
            (4, "\(comm) invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=\(adj)"),
            (6, "Tasks state (memory values in pages):"),
            (6, "[  pid  ]   uid  tgid total_vm      rss rss_anon rss_file rss_shmem pgtables_bytes swapents oom_score_adj name"),
            (6, "[    300]     0   300     9000     7000     6900        0       100    86016        0           900 batch job"),
            (6, "[    301]     0   301     9000     5000     4900        0       100    86016        0         -1000 sshd"),
            (6, "[ \(pid)]   105 \(pid)     9000     8000     7900        0       100    86016        0 \(String(repeating: " ", count: max(0, 13 - String(adj).count)))\(adj) \(comm)"),
            (6, "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/db.slice,task_memcg=/db.slice/db.service,task=\(comm),pid=\(pid),uid=105"),
            (3, "Memory cgroup out of memory: Killed process \(pid) (\(comm)) total-vm:36000kB, anon-rss:31600kB, file-rss:0kB, shmem-rss:400kB, UID:105 pgtables:84kB oom_score_adj:\(adj)"),
        ]
        return lines.enumerated().map { index, line in
            KernelLogRecord(facility: 0, level: line.0, sequence: firstSequence + UInt64(index), microseconds: 5_000_000 + UInt64(index), text: Array(line.1.utf8))
        }
    }

    static func watch(_ log: CapturedLog) throws -> KillWatch {
        // Any readable descriptor will do: these tests hand the records over themselves.
        KillWatch(log: try KernelLog(path: "/dev/null", fromEnd: true), logger: log.logger)
    }

    @Test func aKillOfAProtectedProcessIsAnErrorNamingItsRuleAndWhoElseCouldHaveGone() throws {
        let log = CapturedLog()
        let watch = try Self.watch(log)
        var counters = Counters()
        watch.note(.unchanged(rule: 0, comm: Comm("db"), score: OOMScore(-500)!), pid: 4242, rules: Self.rules, dryRun: false)
        watch.note(.adjusted(rule: 1, comm: Comm("batch job"), from: OOMScore(0)!, to: OOMScore(900)!, instead: nil), pid: 300, rules: Self.rules, dryRun: false)
        for record in Self.report(pid: 4242, comm: "db", adj: -500) { watch.consume(record, into: &counters) }
        let entry = try #require(log.entries.last)
        #expect(entry.level == .error && entry.message == "a protected process was killed")
        #expect(entry.metadata["pid"] == "4242" && entry.metadata["comm"] == "db" && entry.metadata["uid"] == "105")
        #expect(entry.metadata["oom_score_adj"] == "-500" && entry.metadata["rule"] == "/etc/oom_adjust.conf:2")
        #expect(entry.metadata["protected"] == "yes" && entry.metadata["victim"] == "protected")
        #expect(entry.metadata["constraint"] == "memcg" && entry.metadata["cgroup"] == "/db.slice" && entry.metadata["task_cgroup"] == "/db.slice/db.service")
        // The unkillable sshd is no alternative; the batch job, with its rule, is.
        #expect(entry.metadata["candidates"] == "3")
        #expect(entry.metadata["could_have_gone_instead"] == "300 batch job (oom_score_adj 900, 7000 pages, rule /etc/oom_adjust.conf:5)")
        #expect(kills(counters) == [.protected: 1])
        #expect(counters.lastOOMKill?.pid == 4242 && counters.lastOOMKill?.victim == .protected)
        #expect(log.entries.count == 1)
    }

    @Test func aKillOfARuledProcessIsAWarningAndAnUnruledOneSaysNoRule() throws {
        let log = CapturedLog()
        let watch = try Self.watch(log)
        var counters = Counters()
        watch.note(.adjusted(rule: 1, comm: Comm("batch job"), from: OOMScore(0)!, to: OOMScore(900)!, instead: nil), pid: 300, rules: Self.rules, dryRun: false)
        for record in Self.report(pid: 300, comm: "batch job", adj: 900) { watch.consume(record, into: &counters) }
        for record in Self.report(pid: 555, comm: "java", adj: 0, firstSequence: 200) { watch.consume(record, into: &counters) }
        let entries = log.entries
        try #require(entries.count == 2)
        #expect(entries[0].level == .warning && entries[0].message == "the OOM killer killed a process")
        #expect(entries[0].metadata["rule"] == "/etc/oom_adjust.conf:5" && entries[0].metadata["victim"] == "ruled")
        #expect(entries[0].metadata["could_have_gone_instead"] == nil)
        #expect(entries[1].level == .warning && entries[1].metadata["rule"] == "no rule" && entries[1].metadata["victim"] == "unruled")
        #expect(entries[1].metadata["protected"] == "no")
        #expect(kills(counters) == [.ruled: 1, .unruled: 1])
        #expect(counters.lastOOMKill?.pid == 555)
    }

    @Test func aProcessThatLeftItsRuleOrARefusedOneIsNotCountedAsRuled() throws {
        let log = CapturedLog()
        let watch = try Self.watch(log)
        var counters = Counters()
        // The batch job renamed itself out of its rule; the db's protection was denied by the kernel.
        watch.note(.adjusted(rule: 1, comm: Comm("batch job"), from: OOMScore(0)!, to: OOMScore(900)!, instead: nil), pid: 300, rules: Self.rules, dryRun: false)
        watch.note(.unmatched(Comm("batch job")), pid: 300, rules: Self.rules, dryRun: false)
        watch.note(.denied(rule: 0, comm: Comm("db"), from: OOMScore(0)!, to: OOMScore(-500)!, .permissionDenied), pid: 4242, rules: Self.rules, dryRun: false)
        for record in Self.report(pid: 300, comm: "batch job", adj: 900) { watch.consume(record, into: &counters) }
        for record in Self.report(pid: 4242, comm: "db", adj: 0, firstSequence: 200) { watch.consume(record, into: &counters) }
        let entries = log.entries
        try #require(entries.count == 2)
        #expect(entries[0].metadata["rule"] == "no rule" && entries[0].metadata["matched_rule"] == nil)
        #expect(entries[1].metadata["rule"] == "no rule" && entries[1].metadata["matched_rule"] == "/etc/oom_adjust.conf:2")
        #expect(entries[1].metadata["not_applied"]?.contains("CAP_SYS_RESOURCE") == true)
        #expect(kills(counters) == [.unruled: 2])
    }

    @Test func aDryRunsDecisionIsReportedAsWhatItWouldHaveDone() throws {
        let log = CapturedLog()
        let watch = try Self.watch(log)
        var counters = Counters()
        watch.note(.adjusted(rule: 0, comm: Comm("db"), from: OOMScore(0)!, to: OOMScore(-500)!, instead: nil), pid: 4242, rules: Self.rules, dryRun: true)
        for record in Self.report(pid: 4242, comm: "db", adj: 0) { watch.consume(record, into: &counters) }
        let entry = try #require(log.entries.last)
        #expect(entry.level == .warning && entry.metadata["victim"] == "unruled")
        #expect(entry.metadata["not_applied"] == "a dry run: the agent would have set -500 and wrote nothing")
    }
}

/// The OOM kills counted, by victim, leaving out the victims with none.
private func kills(_ counters: Counters) -> [OOMKillAssessment.Victim: Int] {
    var kills: [OOMKillAssessment.Victim: Int] = [:]
    for victim in OOMKillAssessment.Victim.allCases where counters[Counter.oomKills(victim)] > 0 {
        kills[victim] = counters[Counter.oomKills(victim)]
    }
    return kills
}
