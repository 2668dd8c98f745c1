import OOMAdjustVersion
import OOMAdjustCore

/// The counters in the Prometheus text exposition format (0.0.4), the format node_exporter's textfile
/// collector reads. Every metric is always present, zero included, so a rate() never starts from a gap.
public enum MetricsExposition {
    /// What one render shows besides the counters.
    public struct Gauges: Sendable, Equatable {
        /// Rules in force.
        public var rules: Int
        /// When the last sweep finished, in nanoseconds since the epoch (CLOCK_REALTIME); nil before the
        /// first one.
        public var lastSweepUnixNanoseconds: UInt64?
        /// The agent's version, for `oom_adjust_build_info`: which build runs on which node.
        public var version: String

        public init(rules: Int, lastSweepUnixNanoseconds: UInt64? = nil, version: String = BuildVersion.string) {
            self.rules = rules
            self.lastSweepUnixNanoseconds = lastSweepUnixNanoseconds
            self.version = version
        }
    }

    public static func render(_ counters: Counters, _ gauges: Gauges) -> String {
        var text = ""
        func family(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for sample in samples {
                text += sample.labels.isEmpty ? "\(name) \(sample.value)\n" : "\(name){\(sample.labels)} \(sample.value)\n"
            }
        }
        func one(_ value: Int) -> [(labels: String, value: String)] { [("", "\(value)")] }

        family(
            "oom_adjust_events_total", "counter", "Process events received from the kernel, by kind.",
            [
                ("kind=\"exec\"", "\(counters.execEvents)"), ("kind=\"fork\"", "\(counters.forkEvents)"),
                ("kind=\"comm\"", "\(counters.commEvents)"), ("kind=\"uid\"", "\(counters.uidEvents)"),
            ])
        family(
            "oom_adjust_datagrams_total", "counter", "Datagrams read from the proc connector socket.",
            one(counters.datagrams))
        family(
            "oom_adjust_dropped_messages_total", "counter",
            "Datagrams dropped: foreign (not sent by the kernel) or malformed.",
            [("reason=\"foreign\"", "\(counters.foreignMessages)"), ("reason=\"malformed\"", "\(counters.malformedMessages)")])
        family(
            "oom_adjust_processes_total", "counter",
            "Processes examined at an event or in a sweep that a rule matched, by outcome; gone counts every process that exited before it could be examined.",
            [
                ("outcome=\"adjusted\"", "\(counters.adjusted)"),
                ("outcome=\"already_right\"", "\(counters.alreadyRight)"),
                ("outcome=\"gone\"", "\(counters.gone)"),
                ("outcome=\"permission_denied\"", "\(counters.permissionDenied)"),
                ("outcome=\"failed\"", "\(counters.failed)"),
                ("outcome=\"refused\"", "\(counters.refused)"),
            ])
        family(
            "oom_adjust_overflows_total", "counter",
            "Times the proc connector socket overflowed and events were lost (each followed by a sweep).",
            one(counters.overflows))
        family("oom_adjust_sweeps_total", "counter", "Sweeps of every process in /proc.", one(counters.sweeps))
        family(
            "oom_adjust_last_sweep_duration_seconds", "gauge", "How long the last sweep took.",
            [("", seconds(nanoseconds: counters.lastSweepNanoseconds))])
        family(
            "oom_adjust_last_sweep_matched_processes", "gauge", "Processes a rule matched in the last sweep.",
            one(counters.lastSweepMatched))
        if let finished = gauges.lastSweepUnixNanoseconds {
            family(
                "oom_adjust_last_sweep_timestamp_seconds", "gauge", "When the last sweep finished, in seconds since the epoch.",
                [("", seconds(nanoseconds: finished))])
        }
        family(
            "oom_adjust_reloads_total", "counter", "Configuration reloads (SIGHUP), by result.",
            [("result=\"ok\"", "\(counters.reloadsSucceeded)"), ("result=\"failed\"", "\(counters.reloadsFailed)")])
        family(
            "oom_adjust_oom_kills_total", "counter",
            "OOM kills the kernel reported, by the victim: protected (the agent had given it a negative value), ruled (a rule set its value), unruled (no rule did).",
            OOMKillAssessment.Victim.allCases.map { ("victim=\"\($0.rawValue)\"", "\(counters.oomKills[$0, default: 0])") })
        family(
            "oom_adjust_oom_kills_watched", "gauge", "1 when the agent reads the kernel log and so sees OOM kills, 0 when it cannot.",
            one(counters.watchingKernelLog ? 1 : 0))
        if let last = counters.lastOOMKill {
            family(
                "oom_adjust_last_oom_kill_timestamp_seconds", "gauge", "When the kernel last reported an OOM kill, in seconds since the epoch.",
                [("", seconds(nanoseconds: last.unixNanoseconds))])
        }
        family(
            "oom_adjust_build_info", "gauge", "Always 1; the label says which version of the agent runs.",
            [("version=\"\(labelValue(gauges.version))\"", "1")])
        // Last, so that a reader (and ServiceTests) can tell a whole file by its final line.
        family("oom_adjust_rules", "gauge", "Rules in force.", one(gauges.rules))
        return text
    }

    /// A label value as the text format quotes it: backslash, double quote and newline escaped.
    static func labelValue(_ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// Nanoseconds as decimal seconds, exactly (no floating-point rounding): 4_100_000 → "0.0041".
    static func seconds(nanoseconds: UInt64) -> String {
        let whole = nanoseconds / 1_000_000_000
        var fraction = String(nanoseconds % 1_000_000_000)
        if fraction == "0" { return "\(whole)" }
        fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(whole).\(fraction)"
    }
}
