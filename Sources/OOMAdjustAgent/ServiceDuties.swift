import OOMAdjustCore
import Logging
import OOMAdjustLinux
import SystemPackage

/// What the agent owes whoever supervises it, besides enforcing rules: readiness and status for systemd
/// (sd_notify), watchdog pings, and the metrics file.
///
/// Nothing here runs on a timer or a thread of its own. The event loop hands it the time after every
/// wake-up and asks it how long it may sleep, so the pings stop when the loop stops and systemd's
/// watchdog restarts a hung agent.
public final class ServiceDuties {
    /// Where and how often to write the Prometheus metrics.
    public struct MetricsFile: Sendable {
        public let path: String
        public let intervalNanoseconds: UInt64

        public init(path: String, intervalNanoseconds: UInt64) {
            self.path = path
            self.intervalNanoseconds = intervalNanoseconds
        }
    }

    /// How often `systemctl status` text is refreshed when it changed (and at every sweep).
    static let statusIntervalNanoseconds: UInt64 = 5_000_000_000

    private let notifier: SystemdNotifier?
    /// Half of WATCHDOG_USEC, as sd_watchdog_enabled(3) advises; nil without a watchdog.
    private let pingIntervalNanoseconds: UInt64?
    private let metricsFile: MetricsFile?
    private let logger: Logger

    private var started = false
    private var nextPing: UInt64 = 0
    private var nextStatus: UInt64 = 0
    private var nextMetrics: UInt64 = 0
    private var sentStatus: String?
    private var seenSweeps = 0
    private var lastSweepUnixNanoseconds: UInt64?
    /// The last failure logged, so a persistent one is logged once and not every interval.
    private var notifyFailure: Errno?
    private var metricsFailure: Errno?

    /// `watchdogMicroseconds` counts only with a notifier: pings need somewhere to go.
    public init(notifier: SystemdNotifier?, watchdogMicroseconds: UInt64?, metricsFile: MetricsFile?, logger: Logger) {
        self.notifier = notifier
        self.pingIntervalNanoseconds = notifier == nil ? nil : watchdogMicroseconds.map { max($0 * 1000 / 2, 1_000_000) }
        self.metricsFile = metricsFile
        self.logger = logger
        if let notifier {
            var metadata: Logger.Metadata = ["socket": "\(notifier.address)"]
            if let watchdogMicroseconds { metadata["watchdog_ms"] = "\(watchdogMicroseconds / 1000)" }
            logger.info("reporting to the service manager", metadata: metadata)
        }
    }

    // MARK: Events of the loop

    /// The start-up sweep is done: READY=1 with the first status and watchdog ping, and the first
    /// metrics file.
    public func ready(_ counters: Counters, rules: Int, now: UInt64) {
        started = true
        announceReady(counters, rules: rules, now: now)
        writeMetrics(counters, rules: rules, now: now)
    }

    /// SIGHUP arrived and the reload begins: RELOADING=1 stamped with CLOCK_MONOTONIC.
    public func reloading(now: UInt64) {
        notify([.reloading(monotonicMicroseconds: now / 1000), .status("Reloading the configuration")])
    }

    /// The reload (and its sweep, when the new rules were taken) is done: READY=1 again.
    public func reloaded(_ counters: Counters, rules: Int, now: UInt64) {
        announceReady(counters, rules: rules, now: now)
    }

    /// SIGTERM or SIGINT: STOPPING=1.
    public func stopping() {
        notify([.stopping, .status("Stopping")])
    }

    /// How long the loop may sleep before the next duty falls due: -1 (no limit) when there is none.
    public func timeoutMilliseconds(now: UInt64) -> Int32 {
        guard started else { return -1 }
        var next = UInt64.max
        if pingIntervalNanoseconds != nil { next = min(next, nextPing) }
        if notifier != nil { next = min(next, nextStatus) }
        if metricsFile != nil { next = min(next, nextMetrics) }
        if next == .max { return -1 }
        if next <= now { return 0 }
        // Rounded up, so the loop wakes at or after the deadline, never just before it.
        return Int32(clamping: (next - now + 999_999) / 1_000_000)
    }

    /// Does whatever has fallen due: a watchdog ping, a status refresh, a metrics write.
    public func tick(_ counters: Counters, rules: Int, now: UInt64) {
        guard started else { return }
        var message: [ServiceNotification] = []
        if let pingIntervalNanoseconds, now >= nextPing {
            message.append(.watchdog)
            nextPing = now + pingIntervalNanoseconds
        }
        let swept = noteSweeps(counters)
        if notifier != nil, swept || now >= nextStatus {
            let text = Self.statusText(counters, rules: rules, lastSweepClock: lastSweepClock, lastKillClock: Self.killClock(counters))
            if text != sentStatus { message.append(.status(text)) }
            nextStatus = now + Self.statusIntervalNanoseconds
        }
        if !message.isEmpty { notify(message) }
        if metricsFile != nil, now >= nextMetrics { writeMetrics(counters, rules: rules, now: now) }
    }

    // MARK: Status

    /// The one line `systemctl status` shows as "Status:".
    /// `lastKillClock` is when `counters.lastOOMKill` happened, as a clock time.
    static func statusText(_ counters: Counters, rules: Int, lastSweepClock: String?, lastKillClock: String? = nil) -> String {
        let matching = counters[.lastSweepMatched]
        var text = "\(rules) rule\(rules == 1 ? "" : "s"); \(matching) matching process\(matching == 1 ? "" : "es")"
        if let lastSweepClock {
            let nanoseconds = counters[.lastSweepNanoseconds]
            text += " at the last sweep (\(lastSweepClock), \(nanoseconds / 1_000_000).\(nanoseconds / 100_000 % 10) ms)"
        }
        var since: [String] = []
        for counter in Counter.allCases {
            guard let phrase = counter.statusPhrase, phrase.always || counters[counter] > 0 else { continue }
            since.append("\(counters[counter]) \(phrase.words)")
        }
        text += "; since start: " + since.joined(separator: ", ")
        if let kill = counters.lastOOMKill {
            let kills = OOMKillAssessment.Victim.allCases.reduce(0) { $0 + counters[Counter.oomKills($1)] }
            text += "; \(kills) OOM kill\(kills == 1 ? "" : "s"), the last \(kill.pid) (\(kill.comm))\(lastKillClock.map { " at \($0)" } ?? ""), "
            switch kill.victim {
            case .protected: text += "a protected process (\(kill.rule ?? "no rule"))"
            case .ruled: text += "rule \(kill.rule ?? "no rule")"
            case .unruled: text += "no rule"
            }
        }
        return text
    }

    static func killClock(_ counters: Counters) -> String? {
        counters.lastOOMKill.map { localClockTime(unixNanoseconds: $0.unixNanoseconds) }
    }

    private var lastSweepClock: String? {
        lastSweepUnixNanoseconds.map { localClockTime(unixNanoseconds: $0) }
    }

    /// Stamps the wall-clock time of a sweep that finished since the last look; true when one did.
    /// The loop calls in at the end of the wake-up that swept, so the stamp is close enough.
    private func noteSweeps(_ counters: Counters) -> Bool {
        guard counters[.sweeps] != seenSweeps else { return false }
        seenSweeps = counters[.sweeps]
        lastSweepUnixNanoseconds = realtimeNanoseconds()
        return true
    }

    private func announceReady(_ counters: Counters, rules: Int, now: UInt64) {
        _ = noteSweeps(counters)
        let text = Self.statusText(counters, rules: rules, lastSweepClock: lastSweepClock, lastKillClock: Self.killClock(counters))
        var message: [ServiceNotification] = [.ready, .status(text)]
        if let pingIntervalNanoseconds {
            message.append(.watchdog)
            nextPing = now + pingIntervalNanoseconds
        }
        notify(message)
        nextStatus = now + Self.statusIntervalNanoseconds
    }

    // MARK: Output

    private func notify(_ message: [ServiceNotification]) {
        guard let notifier else { return }
        do {
            try notifier.send(message)
            for case .status(let text) in message { sentStatus = text }
            if notifyFailure != nil {
                logger.info("notifying the service manager works again", metadata: ["socket": "\(notifier.address)"])
                notifyFailure = nil
            }
        } catch {
            if error != notifyFailure {
                logger.warning(
                    "cannot notify the service manager; readiness and watchdog pings may be lost",
                    metadata: ["socket": "\(notifier.address)", "errno": "\(error)"])
                notifyFailure = error
            }
        }
    }

    private func writeMetrics(_ counters: Counters, rules: Int, now: UInt64) {
        guard let metricsFile else { return }
        nextMetrics = now + metricsFile.intervalNanoseconds
        _ = noteSweeps(counters)
        let text = MetricsExposition.render(
            counters, MetricsExposition.Gauges(rules: rules, lastSweepUnixNanoseconds: lastSweepUnixNanoseconds))
        do {
            try AtomicFile.replace(path: metricsFile.path, with: text)
            if metricsFailure != nil {
                logger.info("writing the metrics file works again", metadata: ["path": "\(metricsFile.path)"])
                metricsFailure = nil
            }
        } catch {
            if error != metricsFailure {
                logger.warning(
                    "cannot write the metrics file; will retry at every interval",
                    metadata: ["path": "\(metricsFile.path)", "errno": "\(error)"])
                metricsFailure = error
            }
        }
    }
}
