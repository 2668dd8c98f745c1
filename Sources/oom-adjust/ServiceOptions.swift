import ArgumentParser
import Glibc
import Logging
import OOMAdjustAgent
import OOMAdjustLinux

/// Options of `run` for running as a service: the metrics file. (Readiness and the watchdog come from
/// the environment systemd sets, NOTIFY_SOCKET and WATCHDOG_USEC, and need no option.)
struct ServiceOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Write the counters to this file in Prometheus text format, replacing it atomically, for node_exporter's textfile collector (e.g. /var/lib/prometheus/node-exporter/oom_adjust.prom).",
            valueName: "path"),
        completion: .file())
    var metricsFile: String?

    @Option(name: .long, help: ArgumentHelp("Seconds between writes of --metrics-file.", valueName: "seconds"))
    var metricsInterval: Double = 10

    func validate() throws {
        guard metricsInterval >= 0.1, metricsInterval <= 3600 else {
            throw ValidationError("--metrics-interval must be from 0.1 to 3600 seconds, e.g. --metrics-interval 10; got \(metricsInterval)")
        }
        guard let path = metricsFile else { return }
        guard !path.isEmpty, !path.hasSuffix("/") else {
            throw ValidationError("--metrics-file needs a file path, e.g. --metrics-file /var/lib/prometheus/node-exporter/oom_adjust.prom")
        }
        let directory = path.contains("/") ? String(path[...path.lastIndex(of: "/")!]) : "."
        var info = stat()
        guard stat(directory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw ValidationError(
                "the directory of --metrics-file, \(directory), does not exist; create it, or under systemd add it to ReadWritePaths= (or use RuntimeDirectory=)")
        }
    }

    /// The duties for this process: a notifier when NOTIFY_SOCKET is set, the watchdog when
    /// WATCHDOG_USEC names it, the metrics file when asked for.
    func makeDuties(logger: Logger) -> ServiceDuties {
        var notifier: SystemdNotifier?
        switch SystemdNotifier.fromEnvironment() {
        case .none: break
        case .success(let made)?: notifier = made
        case .failure(let problem)?:
            logger.warning("cannot notify the service manager; running without sd_notify", metadata: ["reason": "\(problem)"])
        }
        let metrics = metricsFile.map {
            ServiceDuties.MetricsFile(path: $0, intervalNanoseconds: UInt64(metricsInterval * 1_000_000_000))
        }
        if let metrics {
            logger.info("writing metrics", metadata: ["path": "\(metrics.path)", "interval_s": "\(metricsInterval)"])
        }
        return ServiceDuties(
            notifier: notifier, watchdogMicroseconds: SystemdWatchdog.intervalFromEnvironment(), metricsFile: metrics,
            logger: logger)
    }
}
