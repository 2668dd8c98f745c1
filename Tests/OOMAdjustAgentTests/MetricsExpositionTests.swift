@testable import OOMAdjustAgent
import OOMAdjustCore
import OOMAdjustVersion
import Testing

/// The Prometheus text rendering of the counters, and the `systemctl status` line.
@Suite struct MetricsExpositionTests {
    static func sampleCounters() -> Counters {
        var counters = Counters()
        counters[.datagrams] = 120
        counters[.execEvents] = 70
        counters[.forkEvents] = 40
        counters[.commEvents] = 3
        counters[.uidEvents] = 6
        counters[.foreignMessages] = 2
        counters[.malformedMessages] = 1
        counters[.adjusted] = 9
        counters[.unchanged] = 30
        counters[.gone] = 4
        counters[.denied] = 1
        counters[.failed] = 0
        counters[.refused] = 2
        counters[.overflows] = 1
        counters[.sweeps] = 3
        counters[.lastSweepNanoseconds] = 4_100_000
        counters[.lastSweepMatched] = 5
        counters[.reloadsSucceeded] = 2
        counters[.reloadsFailed] = 1
        counters[.oomKillsProtected] = 1
        counters[.oomKillsRuled] = 2
        counters[.oomKillsUnruled] = 1
        counters[.watchingKernelLog] = 1
        counters.lastOOMKill = OOMKillNote(pid: 4242, comm: "post gres", victim: .ruled, rule: "/etc/oom_adjust.conf:7", unixNanoseconds: 1_795_706_300_500_000_000)
        return counters
    }

    @Test func rendersEveryFamilyWithHelpTypeAndSamples() {
        let text = MetricsExposition.render(
            Self.sampleCounters(), .init(rules: 17, lastSweepUnixNanoseconds: 1_795_706_247_633_665_819, version: "1.2.0+git20261126.28e24bf"))
        let expected = """
            # HELP oom_adjust_events_total Process events received from the kernel, by kind.
            # TYPE oom_adjust_events_total counter
            oom_adjust_events_total{kind="exec"} 70
            oom_adjust_events_total{kind="fork"} 40
            oom_adjust_events_total{kind="comm"} 3
            oom_adjust_events_total{kind="uid"} 6
            # HELP oom_adjust_datagrams_total Datagrams read from the proc connector socket.
            # TYPE oom_adjust_datagrams_total counter
            oom_adjust_datagrams_total 120
            # HELP oom_adjust_dropped_messages_total Datagrams dropped: foreign (not sent by the kernel) or malformed.
            # TYPE oom_adjust_dropped_messages_total counter
            oom_adjust_dropped_messages_total{reason="foreign"} 2
            oom_adjust_dropped_messages_total{reason="malformed"} 1
            # HELP oom_adjust_matched_processes_total Processes examined at an event or in a sweep that a rule matched.
            # TYPE oom_adjust_matched_processes_total counter
            oom_adjust_matched_processes_total 0
            # HELP oom_adjust_processes_total Processes examined at an event or in a sweep, by outcome: adjusted, unchanged (already the rule's value), denied (by the kernel), refused (by the trust policy), failed, restored (protection taken back), kept (binary replaced on disk); gone counts every process that exited before it could be examined.
            # TYPE oom_adjust_processes_total counter
            oom_adjust_processes_total{outcome="adjusted"} 9
            oom_adjust_processes_total{outcome="unchanged"} 30
            oom_adjust_processes_total{outcome="gone"} 4
            oom_adjust_processes_total{outcome="denied"} 1
            oom_adjust_processes_total{outcome="refused"} 2
            oom_adjust_processes_total{outcome="failed"} 0
            oom_adjust_processes_total{outcome="restored"} 0
            oom_adjust_processes_total{outcome="kept"} 0
            # HELP oom_adjust_protected_processes Processes holding protection the agent granted.
            # TYPE oom_adjust_protected_processes gauge
            oom_adjust_protected_processes 0
            # HELP oom_adjust_overflows_total Times the proc connector socket overflowed and events were lost (each followed by a sweep).
            # TYPE oom_adjust_overflows_total counter
            oom_adjust_overflows_total 1
            # HELP oom_adjust_sweeps_total Sweeps of every process in /proc.
            # TYPE oom_adjust_sweeps_total counter
            oom_adjust_sweeps_total 3
            # HELP oom_adjust_last_sweep_duration_seconds How long the last sweep took.
            # TYPE oom_adjust_last_sweep_duration_seconds gauge
            oom_adjust_last_sweep_duration_seconds 0.0041
            # HELP oom_adjust_last_sweep_matched_processes Processes a rule matched in the last sweep.
            # TYPE oom_adjust_last_sweep_matched_processes gauge
            oom_adjust_last_sweep_matched_processes 5
            # HELP oom_adjust_reloads_total Configuration reloads (SIGHUP), by result.
            # TYPE oom_adjust_reloads_total counter
            oom_adjust_reloads_total{result="ok"} 2
            oom_adjust_reloads_total{result="failed"} 1
            # HELP oom_adjust_oom_kills_total OOM kills the kernel reported, by the victim: protected (the agent had given it a negative value), ruled (a rule set its value), unruled (no rule did).
            # TYPE oom_adjust_oom_kills_total counter
            oom_adjust_oom_kills_total{victim="protected"} 1
            oom_adjust_oom_kills_total{victim="ruled"} 2
            oom_adjust_oom_kills_total{victim="unruled"} 1
            # HELP oom_adjust_oom_kills_watched 1 when the agent reads the kernel log and so sees OOM kills, 0 when it cannot.
            # TYPE oom_adjust_oom_kills_watched gauge
            oom_adjust_oom_kills_watched 1
            # HELP oom_adjust_last_sweep_timestamp_seconds When the last sweep finished, in seconds since the epoch.
            # TYPE oom_adjust_last_sweep_timestamp_seconds gauge
            oom_adjust_last_sweep_timestamp_seconds 1795706247.633665819
            # HELP oom_adjust_last_oom_kill_timestamp_seconds When the kernel last reported an OOM kill, in seconds since the epoch.
            # TYPE oom_adjust_last_oom_kill_timestamp_seconds gauge
            oom_adjust_last_oom_kill_timestamp_seconds 1795706300.5
            # HELP oom_adjust_build_info Always 1; the label says which version of the agent runs.
            # TYPE oom_adjust_build_info gauge
            oom_adjust_build_info{version="1.2.0+git20261126.28e24bf"} 1
            # HELP oom_adjust_rules Rules in force.
            # TYPE oom_adjust_rules gauge
            oom_adjust_rules 17

            """
        #expect(text == expected)
    }

    /// The one table: every counter has its own name in the log line and its own sample in the metrics
    /// file, so the two cannot drift apart again.
    @Test func everyCounterHasOneNameAndOneSample() {
        var counters = Counters()
        for (index, counter) in Counter.allCases.enumerated() { counters[counter] = 1_000 + index }
        let names = counters.fields().map(\.0)
        #expect(names.count == Counter.allCases.count && Set(names).count == names.count, "\(names)")
        let samples = Set(Counter.allCases.map { "\($0.metric.family.name)\($0.metric.label.map { "{\($0)}" } ?? "")" })
        #expect(samples.count == Counter.allCases.count, "two counters share a sample")
        let text = MetricsExposition.render(counters, .init(rules: 0))
        for (index, counter) in Counter.allCases.enumerated() where counter != .lastSweepNanoseconds {
            let sample = "\(counter.metric.family.name)\(counter.metric.label.map { "{\($0)}" } ?? "") \(1_000 + index)\n"
            #expect(text.contains(sample), "no \(sample)")
        }
        for family in MetricFamily.allCases { #expect(!family.counters.isEmpty, "\(family) shows nothing") }
    }

    @Test func beforeTheFirstSweepThereIsNoTimestampButEveryCounterIsZero() {
        let text = MetricsExposition.render(Counters(), .init(rules: 0))
        #expect(!text.contains("oom_adjust_last_sweep_timestamp_seconds"))
        #expect(text.contains("oom_adjust_sweeps_total 0\n"))
        #expect(text.contains("oom_adjust_processes_total{outcome=\"adjusted\"} 0\n"))
        #expect(text.contains("oom_adjust_rules 0\n"))
        #expect(text.contains("oom_adjust_oom_kills_total{victim=\"protected\"} 0\n"))
        #expect(text.contains("oom_adjust_oom_kills_watched 0\n"))
        #expect(!text.contains("oom_adjust_last_oom_kill_timestamp_seconds"))
    }

    /// The text format's grammar, line by line: comments are HELP or TYPE of the family that follows,
    /// every sample belongs to the family last typed, and every value is a number.
    @Test func everyLineFollowsTheTextFormat() {
        let text = MetricsExposition.render(Self.sampleCounters(), .init(rules: 1, lastSweepUnixNanoseconds: 1))
        #expect(text.hasSuffix("\n"))
        var family = ""
        var typed: Set<String> = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            let fields = line.split(separator: " ", maxSplits: 3)
            if line.hasPrefix("# HELP ") {
                family = String(fields[2])
                #expect(fields.count == 4)
            } else if line.hasPrefix("# TYPE ") {
                #expect(String(fields[2]) == family)
                #expect(["counter", "gauge"].contains(String(fields[3])))
                #expect(typed.insert(family).inserted, "family \(family) typed twice")
                #expect(!family.hasSuffix("_total") || fields[3] == "counter")
            } else {
                #expect(fields.count == 2, "\(line)")
                let name = fields[0].split(separator: "{").first.map(String.init) ?? ""
                #expect(name == family, "\(line)")
                #expect(Double(fields[1]) != nil, "\(line)")
            }
        }
        #expect(typed.count == MetricFamily.allCases.count + 4, "the families of the counter table and four others")
    }

    /// Without an explicit version the metric carries the one this build was made with, as --version does.
    @Test func theBuildInfoCarriesThisBuildsVersionEscaped() {
        #expect(MetricsExposition.render(Counters(), .init(rules: 0)).contains("oom_adjust_build_info{version=\"\(BuildVersion.string)\"} 1\n"))
        #expect(!BuildVersion.string.isEmpty)
        let odd = MetricsExposition.render(Counters(), .init(rules: 0, version: "a\"b\\c\nd"))
        #expect(odd.contains("oom_adjust_build_info{version=\"a\\\"b\\\\c\\nd\"} 1\n"))
    }

    @Test(arguments: [
        (UInt64(0), "0"), (4_100_000, "0.0041"), (1_500_000_000, "1.5"), (2_000_000_000, "2"), (1, "0.000000001"),
        (12_345_678_901, "12.345678901"),
    ])
    func durationsAreExactDecimalSeconds(_ nanoseconds: UInt64, _ text: String) {
        #expect(MetricsExposition.seconds(nanoseconds: nanoseconds) == text)
    }

    @Test func theStatusLineCountsWhatAnOperatorAsksFirst() {
        var counters = Counters()
        counters[.lastSweepMatched] = 1
        #expect(ServiceDuties.statusText(counters, rules: 1, lastSweepClock: nil) == "1 rule; 1 matching process; since start: 0 adjusted")
        let status = ServiceDuties.statusText(Self.sampleCounters(), rules: 17, lastSweepClock: "15:20:01 UTC", lastKillClock: "15:21:40 UTC")
        #expect(
            status
                == "17 rules; 5 matching processes at the last sweep (15:20:01 UTC, 4.1 ms); since start: 9 adjusted, 1 denied by the kernel, 2 refused by the trust policy, 1 overflows; 4 OOM kills, the last 4242 (post gres) at 15:21:40 UTC, rule /etc/oom_adjust.conf:7"
        )
        var protected = Self.sampleCounters()
        protected.lastOOMKill = OOMKillNote(pid: 9, comm: "sshd", victim: .protected, rule: "/etc/oom_adjust.conf:1", unixNanoseconds: 0)
        #expect(ServiceDuties.statusText(protected, rules: 1, lastSweepClock: nil).hasSuffix("; 4 OOM kills, the last 9 (sshd), a protected process (/etc/oom_adjust.conf:1)"))
        var unruled = Self.sampleCounters()
        for victim in OOMKillAssessment.Victim.allCases { unruled[Counter.oomKills(victim)] = victim == .unruled ? 1 : 0 }
        unruled.lastOOMKill = OOMKillNote(pid: 9, comm: "java", victim: .unruled, rule: nil, unixNanoseconds: 0)
        #expect(ServiceDuties.statusText(unruled, rules: 1, lastSweepClock: nil).hasSuffix("; 1 OOM kill, the last 9 (java), no rule"))
    }
}
