import OOMAdjustVersion
import OOMAdjustCore

/// The counters (every one of the `Counter` table) in the Prometheus text exposition format (0.0.4), the format node_exporter's textfile
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
        // The counters, from their one table; then what is not a count.
        for metric in MetricFamily.allCases {
            family(
                metric.name, metric.isGauge ? "gauge" : "counter", metric.help,
                metric.counters.map { counter in
                    let value = counter == .lastSweepNanoseconds ? seconds(nanoseconds: UInt64(counters[counter])) : "\(counters[counter])"
                    return (counter.metric.label ?? "", value)
                })
        }
        if let finished = gauges.lastSweepUnixNanoseconds {
            family(
                "oom_adjust_last_sweep_timestamp_seconds", "gauge", "When the last sweep finished, in seconds since the epoch.",
                [("", seconds(nanoseconds: finished))])
        }
        if let last = counters.lastOOMKill {
            family(
                "oom_adjust_last_oom_kill_timestamp_seconds", "gauge", "When the kernel last reported an OOM kill, in seconds since the epoch.",
                [("", seconds(nanoseconds: last.unixNanoseconds))])
        }
        family(
            "oom_adjust_build_info", "gauge", "Always 1; the label says which version of the agent runs.",
            [("version=\"\(labelValue(gauges.version))\"", "1")])
        // Last, so that a reader (and ServiceTests) can tell a whole file by its final line.
        family("oom_adjust_rules", "gauge", "Rules in force.", [("", "\(gauges.rules)")])
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
